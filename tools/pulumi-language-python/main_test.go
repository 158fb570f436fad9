package main

// The host against a fake engine: a gRPC server with (or without) the standard health service, as
// the engine's own host server has. The host runs as its own process (this test binary re-executed
// with hostEnv set), exactly as the engine starts it: the engine's address as the only argument.

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/emptypb"
)

const hostEnv = "DEZKY_TEST_RUN_LANGUAGE_HOST"

func TestMain(m *testing.M) {
	if os.Getenv(hostEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeEngine serves on a loopback port; withHealth registers the health service (SERVING).
func fakeEngine(t *testing.T, withHealth bool) (*grpc.Server, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	if withHealth {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return srv, lis.Addr().String()
}

type runningHost struct {
	cmd    *exec.Cmd
	exited chan error
	stderr *strings.Builder
}

// startHost starts the host for engineAddress and waits until it serves the LanguageRuntime.
func startHost(t *testing.T, engineAddress string) *runningHost {
	t.Helper()
	// The host looks for pulumi-language-python-exec on PATH; it is never run here.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "pulumi-language-python-exec"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], engineAddress)
	cmd.Env = append(os.Environ(), hostEnv+"=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &runningHost{cmd: cmd, exited: make(chan error, 1), stderr: stderr}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the host printed no port: %v (stderr: %s)", err, stderr)
	}
	go func() { h.exited <- cmd.Wait() }()
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the host printed %q, not a port", line)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pulumirpc.NewLanguageRuntimeClient(conn).GetPluginInfo(ctx, &emptypb.Empty{}); err != nil {
		t.Fatalf("the host does not serve: %v", err)
	}
	return h
}

// stillRunningAfter fails the test when the host exits within d.
func (h *runningHost) stillRunningAfter(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case err := <-h.exited:
		t.Fatalf("the host exited while the engine was there: %v (stderr: %s)", err, h.stderr)
	case <-time.After(d):
	}
}

func TestTheHostExitsSoonAfterTheEngineIsGone(t *testing.T) {
	t.Parallel()
	engine, address := fakeEngine(t, true)
	h := startHost(t, address)
	// Several health checks pass while the engine is there.
	h.stillRunningAfter(t, 3*engineHealthInterval)

	engine.Stop() // as a killed pulumi: its port closes
	gone := time.Now()
	bound := 2*engineHealthInterval + 3*time.Second
	select {
	case err := <-h.exited:
		if err != nil {
			t.Fatalf("the host exited with %v (stderr: %s)", err, h.stderr)
		}
		t.Logf("the host exited %v after the engine stopped", time.Since(gone).Round(time.Millisecond))
	case <-time.After(bound):
		t.Fatalf("the host still runs %v after the engine stopped", bound)
	}
	if !strings.Contains(h.stderr.String(), "the engine at "+address+" is gone; exiting") {
		t.Errorf("the host did not say why it exits: %q", h.stderr)
	}
}

func TestAnEngineWithoutTheHealthServiceCountsAsAlive(t *testing.T) {
	t.Parallel()
	_, address := fakeEngine(t, false) // every health call answers Unimplemented
	startHost(t, address).stillRunningAfter(t, 3*engineHealthInterval)
}
