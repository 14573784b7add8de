// Command gatewaydemo is the gateway part of make demo (.ci/demo.sh):
//
//	gatewaydemo config --specs examples/specs --env staging --out DIR ...   the rendered config, pointed at local stand-ins
//	gatewaydemo aws --bedrock ADDR --sagemaker ADDR                         Bedrock and SageMaker stand-ins (gateway/provider/awsfake)
//	gatewaydemo model --addr ADDR                                           an OpenAI-compatible model server stand-in
//
// The stand-ins check SigV4 against awsfake.DefaultCredential, fake keys
// valid nowhere else; the demo hands them to the gateway in AWS_* variables.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/render"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gatewaydemo config|aws|model [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var err error
	switch args := os.Args[2:]; os.Args[1] {
	case "config":
		err = writeConfig(ctx, args)
	case "aws":
		err = serveAWS(ctx, args)
	case "model":
		err = serveModel(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		slog.Error("gatewaydemo "+os.Args[1], "err", err)
		os.Exit(1)
	}
}

// writeConfig renders the Environment, takes the Gateway's ConfigMap, and
// points it at the stand-ins: listen and metrics on loopback, keys in
// DIR/keys (one per listed caller and one for a caller not listed), Bedrock
// and SageMaker endpoints, Model URLs, Redis.
func writeConfig(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("config", flag.ExitOnError)
	specs := fs.String("specs", "examples/specs", "spec repository")
	env := fs.String("env", "staging", "Environment")
	out := fs.String("out", ".demo/gateway", "output directory")
	listen := fs.String("listen", "127.0.0.1:18180", "gateway API address")
	metrics := fs.String("metrics", "127.0.0.1:18190", "gateway metrics address")
	bedrock := fs.String("bedrock", "http://127.0.0.1:18181", "Bedrock stand-in")
	sagemaker := fs.String("sagemaker", "http://127.0.0.1:18182", "SageMaker stand-in")
	model := fs.String("model", "http://127.0.0.1:18183", "model server stand-in")
	redis := fs.String("redis", "127.0.0.1:18184", "redis-server address")
	redisPassword := fs.String("redis-password-file", "", "file holding the Redis password")
	_ = fs.Parse(args)

	res, err := render.Render(ctx, os.DirFS(*specs), *env)
	if err != nil {
		return err
	}
	var rendered string
	for _, o := range res.Objects {
		if data, ok := o.Object["data"].(map[string]any); ok && o.GetKind() == "ConfigMap" && data["config.yaml"] != nil {
			rendered = data["config.yaml"].(string)
			fmt.Printf("   from ConfigMap %s/%s (%s)\n", o.GetNamespace(), o.GetName(), o.GetAnnotations()[render.AnnotationSource])
		}
	}
	if rendered == "" {
		return fmt.Errorf("no Gateway config rendered for %s", *env)
	}
	cfg, err := config.Parse("rendered config.yaml", []byte(rendered))
	if err != nil {
		return err
	}
	cfg.Listen, cfg.MetricsListen, cfg.KeysDir = *listen, *metrics, filepath.Join(*out, "keys")
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		switch {
		case r.Bedrock != nil:
			r.Bedrock.Endpoint = *bedrock
		case r.SageMaker != nil:
			r.SageMaker.Endpoint = *sagemaker
		case r.Model != nil:
			r.Model.URL = *model
		}
	}
	if r := cfg.RateLimit.Redis; r != nil {
		r.Address, r.PasswordFile = *redis, *redisPassword
	}
	b, err := config.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.KeysDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "config.yaml"), b, 0o600); err != nil {
		return err
	}
	callers := []string{"team-other"} // a caller not listed: all routes, the Gateway's limits
	for _, c := range cfg.Callers {
		callers = append(callers, c.Name)
	}
	for _, c := range callers {
		if err := os.WriteFile(filepath.Join(cfg.KeysDir, c), []byte("sk-demo-"+c+"-"+randomHex()), 0o600); err != nil {
			return err
		}
	}
	c := awsfake.DefaultCredential
	awsEnv := fmt.Sprintf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_SESSION_TOKEN=%s\nAWS_REGION=%s\nAWS_EC2_METADATA_DISABLED=true\n",
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, cfg.Region)
	if err := os.WriteFile(filepath.Join(*out, "aws.env"), []byte(awsEnv), 0o600); err != nil {
		return err
	}
	fmt.Printf("   wrote %s: listen %s, metrics %s, Bedrock %s, SageMaker %s, Models %s, Redis %s; keys for %s in %s\n",
		filepath.Join(*out, "config.yaml"), *listen, *metrics, *bedrock, *sagemaker, *model, *redis, strings.Join(callers, ", "), cfg.KeysDir)
	return nil
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveAWS runs the Bedrock and SageMaker stand-ins until ctx ends.
func serveAWS(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("aws", flag.ExitOnError)
	bedrock := fs.String("bedrock", "127.0.0.1:18181", "Bedrock stand-in address")
	sagemaker := fs.String("sagemaker", "127.0.0.1:18182", "SageMaker stand-in address")
	region := fs.String("region", "us-east-1", "region requests must be signed for")
	_ = fs.Parse(args)
	bl, err := net.Listen("tcp", *bedrock)
	if err != nil {
		return err
	}
	sl, err := net.Listen("tcp", *sagemaker)
	if err != nil {
		return err
	}
	b := awsfake.NewBedrock(awsfake.Options{Region: *region, Listener: bl, Text: "Hello from the Bedrock stand-in."})
	defer b.Close()
	s := awsfake.NewSageMaker(awsfake.Options{Region: *region, Listener: sl, Text: "fraud score 0.02 from the SageMaker stand-in."})
	defer s.Close()
	fmt.Printf("Bedrock stand-in %s, SageMaker stand-in %s (SigV4 checked, region %s)\n", b.URL(), s.URL(), *region)
	<-ctx.Done()
	return nil
}

// serveModel runs the model server stand-in until ctx ends.
func serveModel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("model", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18183", "address")
	_ = fs.Parse(args)
	srv := &http.Server{Addr: *addr, Handler: modelHandler()}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Printf("model server stand-in http://%s\n", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}
