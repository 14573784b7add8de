// Package install holds the tests of the kustomization that installs
// gitplane itself (the YAML files beside this one).
package install
