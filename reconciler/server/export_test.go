package server

import "github.com/gitplane/gitplane/render"

// RendererOf is the Renderer a loop's syncs render with (and cache in),
// for tests that check what it hands out.
func RendererOf(s *Server) *render.Renderer { return s.renderer }
