package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/server"
	"github.com/gitplane/gitplane/gateway/usage"
)

// accessLogFlush is how long access-log lines may wait to be written
// together (one write per batch, not per request).
const accessLogFlush = 100 * time.Millisecond

func newGatewayCommand() *cobra.Command {
	var configPath string
	c := &cobra.Command{
		Use:   "gateway --config PATH",
		Short: "Run the AI gateway runtime: an OpenAI-compatible API in front of Bedrock, SageMaker and in-cluster Models",
		Long: `Gateway serves POST /v1/chat/completions, POST /v1/embeddings and GET
/v1/models for the callers whose API keys are mounted in the config's
keysDir, with their route policies and rate limits, and /metrics, /healthz
and /readyz on the metrics address. It writes one JSON access-log line per
request to stdout and drains on SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				if config.IsInvalid(err) {
					return found(err)
				}
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			out := usage.NewLineWriter(cmd.OutOrStdout(), accessLogFlush)
			defer out.Close()
			log := slog.New(slog.NewJSONHandler(out, nil))
			if gc, mem := server.TuneRuntime(); gc != 0 || mem != 0 {
				log.Info("garbage collector tuned", "gogc", gc, "memory_limit_bytes", mem)
			}
			srv, err := server.New(ctx, server.Options{Config: cfg, Logger: log})
			if err != nil {
				return err
			}
			return srv.Run(ctx)
		},
	}
	c.Flags().StringVar(&configPath, "config", os.Getenv("GATEWAY_CONFIG"), "gateway config file (gateway.gitplane.dev/v1 GatewayConfig); default $GATEWAY_CONFIG")
	return c
}
