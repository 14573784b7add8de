package render

// YAMLWriter gives the external tests yamlWriter.
type YAMLWriter = yamlWriter

// NewYAMLWriter is newYAMLWriter.
var NewYAMLWriter = newYAMLWriter

// Write is write: the document, and whether yamlWriter wrote it itself.
func (w *yamlWriter) Write(obj map[string]any) ([]byte, bool, error) { return w.write(obj) }

// YAMLKeyLess is yamlKeyLess.
var YAMLKeyLess = yamlKeyLess

// BillionLaughs is the alias-bomb ConfigMap of the limit tests.
const BillionLaughs = billionLaughs
