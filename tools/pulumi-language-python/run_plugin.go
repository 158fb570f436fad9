// RunPlugin: how the engine starts a Python policy pack (`pulumi preview --policy-pack <dir>`).
//
// When a language plugin for the pack's runtime is installed, pulumi v3.260's engine does not use
// the old `pulumi-analyzer-policy-python` shim: it asks the language host to RunPlugin the pack
// directory (pkg/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer -> plugin.go newPlugin ->
// LanguageRuntime.RunPlugin), and reads the analyzer's gRPC port from the plugin's stdout.
// pulumi's own host runs a bare plugin directory as `python <dir> <args...>` (the directory's
// __main__.py) with the Python of the pack's `virtualenv` runtime option; this does the same.
// pulumi's second mode (a buildable package started through `pulumi.run.plugin`) is not needed
// here and not implemented.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		return errors.New("RunPlugin: the plugin's program directory is missing")
	}
	mainPy := filepath.Join(dir, "__main__.py")
	if _, err := os.Stat(mainPy); err != nil {
		return fmt.Errorf("RunPlugin: %s is not runnable: %w", dir, err)
	}

	tc, err := resolveToolchain(info, dir)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return err
	}
	cmd, err := tc.Command(ctx, append([]string{dir}, req.GetArgs()...)...)
	if err != nil {
		return err
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	cmd.Dir = req.GetPwd()
	if cmd.Env == nil { // a toolchain without a virtualenv leaves the environment to exec
		cmd.Env = os.Environ()
	}
	// The pack writes its port to a buffered stdout and never flushes it (pulumi_policy's PolicyPack
	// serves forever after writing it): unbuffered, or the engine waits for the port forever in any
	// shell that has no PYTHONUNBUFFERED of its own.
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Env = append(cmd.Env, "PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())}, //nolint:gosec
			})
		}
		return fmt.Errorf("RunPlugin: could not run %s: %w", dir, err)
	}
	return closer.Close()
}
