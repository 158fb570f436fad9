// Command pulumi-language-python is a small Python language host for the Pulumi engine.
//
// pulumi's own host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is a
// separate Go module without release tags, and the Go module proxy reachable here serves no
// version of it. This host implements the part of the LanguageRuntime protocol that `pulumi
// up/preview/refresh/destroy` and the Automation API need: it runs the program through
// `pulumi-language-python-exec` (shipped in the sdk/v3 module) with the Python toolchain
// support that sdk/v3 itself provides (pip/uv/poetry, the `virtualenv` runtime option).
//
// Like pulumi's own language hosts, it polls the engine's gRPC health service (sdk/v3's
// rpcutil.Healthcheck) and exits once the engine is gone: a `pulumi` killed with SIGKILL never
// tells its plugins to stop, and a host that did not check would run on for good.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// exitCodeUserActionable is what pulumi-language-python-exec exits with after it has already
// shown the user an actionable message.
const exitCodeUserActionable = 32

// engineHealthInterval is how often the host asks the engine whether it is still there. pulumi's
// own hosts ask every 5 minutes; one health call on a loopback connection costs next to nothing,
// so this host asks often and is gone within seconds of a killed `pulumi`. A call that fails (the
// engine's port is closed) counts as gone; an engine without the health service counts as alive.
const engineHealthInterval = 2 * time.Second

// stopGrace bounds how long calls still in flight may take once the engine is gone (they end by
// themselves: the engine's connection closed, which cancels them and the program they run).
const stopGrace = 10 * time.Second

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execPath string
	tracing  string

	mu            sync.Mutex
	engineAddress string
}

func main() {
	var tracing, engineAddress string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tracing" || a == "-tracing":
			if i+1 < len(args) {
				tracing = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--tracing=") || strings.HasPrefix(a, "-tracing="):
			tracing = a[strings.Index(a, "=")+1:]
		case strings.HasPrefix(a, "-"):
			// --logtostderr, -v=N, --root=..., and other engine-supplied flags: not needed.
		default:
			engineAddress = a // the positional engine address comes last
		}
	}

	execPath, err := findExec()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Stop serving, and so exit, once the engine fails a health check.
	ctx, engineGone := context.WithCancel(context.Background())
	defer engineGone()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, engineGone); err != nil {
			fmt.Fprintf(os.Stderr, "could not start the engine health check: %v\n", err)
			os.Exit(1)
		}
	}
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		fmt.Fprintf(os.Stderr, "pulumi-language-python: the engine at %s is gone; exiting\n", engineAddress)
		close(stop)
		time.AfterFunc(stopGrace, func() { os.Exit(1) })
	}()

	h := &host{execPath: execPath, tracing: tracing, engineAddress: engineAddress}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: []grpc.ServerOption{grpc.MaxRecvMsgSize(400 * 1024 * 1024)},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

// findExec locates pulumi-language-python-exec beside this binary, else on PATH.
func findExec() (string, error) {
	const name = "pulumi-language-python-exec"
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		candidate := filepath.Join(filepath.Dir(self), name)
		if st, err := os.Stat(candidate); err == nil && !st.IsDir() {
			return candidate, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("could not find %s beside pulumi-language-python or on PATH: %w", name, err)
	}
	return p, nil
}

func optionString(opts *structpb.Struct, key string) string {
	if opts == nil {
		return ""
	}
	if v, ok := opts.GetFields()[key]; ok {
		if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
			return s.StringValue
		}
	}
	return ""
}

// resolveToolchain maps the project's runtime options (virtualenv, toolchain) onto sdk/v3's
// python toolchain support.
func resolveToolchain(info *pulumirpc.ProgramInfo, fallbackDir string) (toolchain.Toolchain, error) {
	root, progDir := fallbackDir, fallbackDir
	var opts *structpb.Struct
	if info != nil {
		if info.GetRootDirectory() != "" {
			root = info.GetRootDirectory()
		}
		if info.GetProgramDirectory() != "" {
			progDir = info.GetProgramDirectory()
		}
		opts = info.GetOptions()
	}
	po := toolchain.PythonOptions{
		Root:       root,
		ProgramDir: progDir,
		Virtualenv: optionString(opts, "virtualenv"),
		Toolchain:  toolchain.Auto,
	}
	switch tc := optionString(opts, "toolchain"); tc {
	case "", "auto":
	case "pip":
		po.Toolchain = toolchain.Pip
	case "uv":
		po.Toolchain = toolchain.Uv
	case "poetry":
		po.Toolchain = toolchain.Poetry
	default:
		return nil, fmt.Errorf("unsupported python toolchain option %q", tc)
	}
	return toolchain.ResolveToolchain(po)
}

func (h *host) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Provider plugins are resolved lazily by the engine when a resource needs them.
func (h *host) GetRequiredPlugins(ctx context.Context,
	req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(ctx context.Context,
	req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	wd, _ := os.Getwd()
	tc, err := resolveToolchain(req.GetInfo(), wd)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
	}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := resolveToolchain(req.GetInfo(), req.GetPwd())
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// streamWriter forwards output to an InstallDependencies stream.
type streamWriter struct {
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	r := &pulumirpc.InstallDependenciesResponse{Stdout: b}
	if w.stderr {
		r = &pulumirpc.InstallDependenciesResponse{Stderr: b}
	}
	if err := w.send(r); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	ctx := server.Context()
	dir := req.GetDirectory()
	if req.GetInfo() != nil && req.GetInfo().GetProgramDirectory() != "" {
		dir = req.GetInfo().GetProgramDirectory()
	}
	tc, err := resolveToolchain(req.GetInfo(), dir)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	send := func(r *pulumirpc.InstallDependenciesResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(r)
	}
	out, errw := streamWriter{send: send}, streamWriter{send: send, stderr: true}
	return tc.InstallDependencies(ctx, dir, req.GetUseLanguageVersionTools(), true, out, errw)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	h.mu.Lock()
	engineAddress := h.engineAddress
	h.mu.Unlock()

	info := req.GetInfo()
	pwd := req.GetPwd()
	program := req.GetProgram()
	root := ""
	if info != nil {
		if info.GetProgramDirectory() != "" {
			program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
		}
		root = info.GetRootDirectory()
	}
	if program == "" {
		program = "."
	}

	args := []string{h.execPath}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", pwd)
	add("dry_run", fmt.Sprintf("%v", req.GetDryRun()))
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	add("root_directory", root)
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	tc, err := resolveToolchain(info, pwd)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	if cfg := req.GetConfig(); cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("serialize configuration: %w", err)
		}
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(b))
	}
	if keys := req.GetConfigSecretKeys(); keys != nil {
		b, err := json.Marshal(keys)
		if err != nil {
			return nil, fmt.Errorf("serialize secret keys: %w", err)
		}
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG_SECRET_KEYS="+string(b))
	}
	if pwd != "" {
		cmd.Dir = pwd
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeUserActionable {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

var _ io.Writer = streamWriter{}
