package preview

import (
	"path"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/schema"
)

// AffectedEnvironments returns, sorted, the Environments (of base or head)
// whose rendered input a list of changed files touches: an Environment's own
// file, the file of a Model or Gateway deployed to it (at base or head), or
// a file in its overlay folder. A YAML file that holds no spec the repos
// know of (a new file that does not parse, a spec that moved) might touch
// anything, so it selects every Environment; other files (README.md, docs)
// select none. A nil repository is unknown: every Environment of the other.
func AffectedEnvironments(base, head *schema.Repo, changed []string) []string {
	all := envNames(base, head)
	if base == nil || head == nil {
		return all
	}
	hit := map[string]bool{}
	for _, f := range changed {
		f = path.Clean(strings.TrimPrefix(f, "/"))
		envs, known := envsOfFile(base, head, f, all)
		if !known && isYAML(f) && !hidden(f) {
			return all
		}
		for _, e := range envs {
			hit[e] = true
		}
	}
	return slices.DeleteFunc(all, func(e string) bool { return !hit[e] })
}

// envsOfFile returns the Environments a file feeds, and whether the file is
// a spec file or overlay file of either repository.
func envsOfFile(base, head *schema.Repo, file string, all []string) ([]string, bool) {
	var out []string
	known := false
	for _, repo := range []*schema.Repo{base, head} {
		for _, e := range repo.Environments {
			if e.Source.File == file || inOverlay(file, e.Spec.Overlay) {
				out, known = append(out, e.Metadata.Name), true
			}
		}
		for _, s := range specsOf(repo) {
			if s.GetSource().File != file {
				continue
			}
			known = true
			out = append(out, deployedTo(s, all)...)
		}
	}
	return out, known
}

// deployedTo lists the Environments a Model or Gateway goes to.
func deployedTo(s schema.Spec, all []string) []string {
	var envs []string
	switch s := s.(type) {
	case *schema.Model:
		envs = s.Spec.Environments
	case *schema.Gateway:
		envs = s.Spec.Environments
	}
	return slices.DeleteFunc(slices.Clone(all), func(e string) bool { return !schema.InEnvironment(envs, e) })
}

func inOverlay(file, overlay string) bool {
	if overlay == "" {
		return false
	}
	dir := path.Clean(strings.TrimPrefix(overlay, "./"))
	return file == dir || strings.HasPrefix(file, dir+"/")
}

func envNames(repos ...*schema.Repo) []string {
	var out []string
	for _, r := range repos {
		if r == nil {
			continue
		}
		for _, e := range r.Environments {
			if !slices.Contains(out, e.Metadata.Name) {
				out = append(out, e.Metadata.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func isYAML(f string) bool { return strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml") }

// hidden reports a path in a folder starting with a dot, which Load skips.
func hidden(f string) bool {
	for _, part := range strings.Split(path.Dir(f), "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}
