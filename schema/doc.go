// Package schema defines gitplane's spec kinds — Environment, Model and
// Gateway in gitplane.dev/v1alpha1 — and turns a repository of YAML files into
// validated, defaulted values.
//
// The Go structs are the schema: their json tags name the fields, and the
// tags doc, default, enum and required feed validation, defaulting, the JSON
// Schema (JSONSchema) and docs/spec.md alike. Every problem is reported as a
// FieldError naming file:line:col and the field path, and Load reports all of
// them at once. A Loader keeps each file's decoded specs by content hash, so
// loading a repository again parses only the files that changed. The
// package does no I/O beyond reading the fs.FS it is given
// and imports neither client-go nor kustomize.
package schema
