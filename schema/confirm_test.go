package schema_test

import (
	"testing"

	"github.com/gitplane/gitplane/schema"
)

// TestConfirms: a confirmation holds for the sync of a commit whose first
// parent it names, in full or abbreviated, and for no other.
func TestConfirms(t *testing.T) {
	const parent = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, value, onto string
		want              bool
	}{
		{"full SHA of the parent", parent, parent, true},
		{"abbreviated SHA of the parent", parent[:7], parent, true},
		{"another commit", "fedcba9876543210", parent, false},
		{"too short to name a commit", parent[:6], parent, false},
		{"upper case is not how git prints it", "0123456789ABCDEF", parent, false},
		{"a root commit has no parent", parent, "", false},
		{"no annotation", "", parent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &schema.Environment{Metadata: schema.ObjectMeta{Name: "prod"}}
			if tt.value != "" {
				env.Metadata.Annotations = map[string]string{schema.AnnotationConfirmPrune: tt.value}
			}
			if got := env.Confirms(schema.AnnotationConfirmPrune, tt.onto); got != tt.want {
				t.Errorf("Confirms(%q) with %q = %v, want %v", tt.onto, tt.value, got, tt.want)
			}
			if env.Confirms(schema.AnnotationForceConflicts, tt.onto) {
				t.Error("one annotation confirmed for another")
			}
		})
	}
}
