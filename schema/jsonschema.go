package schema

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// JSONSchemaID is the $id of the generated schema.
const JSONSchemaID = "https://gitplane.dev/schemas/v1alpha1.json"

// JSONSchema returns a JSON Schema (draft 2020-12) for the three kinds,
// generated from the Go types, for editors such as yaml-language-server.
func JSONSchema() ([]byte, error) {
	defs := map[string]any{}
	var oneOf []any
	for _, k := range []struct {
		kind string
		typ  reflect.Type
	}{
		{KindEnvironment, reflect.TypeFor[Environment]()},
		{KindModel, reflect.TypeFor[Model]()},
		{KindGateway, reflect.TypeFor[Gateway]()},
	} {
		s := objectSchema(k.typ)
		props := s["properties"].(map[string]any)
		props["apiVersion"] = map[string]any{"const": APIVersion}
		props["kind"] = map[string]any{"const": k.kind}
		defs[k.kind] = s
		oneOf = append(oneOf, map[string]any{"$ref": "#/$defs/" + k.kind})
	}
	return json.MarshalIndent(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     JSONSchemaID,
		"title":   "gitplane specs (" + APIVersion + ")",
		"oneOf":   oneOf,
		"$defs":   defs,
	}, "", "  ")
}

func typeSchema(t reflect.Type) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return typeSchema(t.Elem())
	case reflect.Struct:
		return objectSchema(t)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	}
	return map[string]any{"type": "string"}
}

func objectSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fieldsOf(t).list {
		p := typeSchema(f.typ)
		if f.doc != "" {
			p["description"] = f.doc
		}
		if f.enum != nil {
			p["enum"] = f.enum
		}
		if f.def != "" {
			p["default"] = defaultValue(f)
		}
		if f.typ.Kind() == reflect.String && !f.required {
			// numbers are accepted where a quantity is expected (cpu: 2)
			if _, isEnum := p["enum"]; !isEnum {
				p["type"] = []string{"string", "number"}
			}
		}
		for k, v := range schemaRules[t][f.name] {
			p[k] = v
		}
		props[f.name] = p
		if f.required {
			required = append(required, f.name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		s["required"] = required
	}
	if t == reflect.TypeFor[Limits]() || t == reflect.TypeFor[RateLimit]() {
		s["anyOf"] = []any{
			map[string]any{"required": []string{"requestsPerMinute"}},
			map[string]any{"required": []string{"tokensPerMinute"}},
		}
	}
	if t == reflect.TypeFor[Route]() {
		s["oneOf"] = []any{
			map[string]any{"required": []string{"bedrock"}},
			map[string]any{"required": []string{"sagemaker"}},
			map[string]any{"required": []string{"model"}},
		}
	}
	return s
}

func defaultValue(f field) any {
	if f.typ.Kind() == reflect.Int32 {
		n, _ := strconv.Atoi(f.def)
		return n
	}
	return f.def
}
