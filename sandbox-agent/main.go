// sandbox-agent: the process that serves exec, background commands, files and watches inside a
// sandbox for the container-manager. It runs as the container's PID 1 (bind-mounted read-only at
// /opt/sbx/agent) and dials the manager over a unix socket on a read-only mount
// (/run/sbx/host.sock); it never listens on anything. See docs/sandbox-agent.md.
// With --serve-stdio it is a git host instead: the manager's git processes for one session, in the
// namespace git is confined to (host.go).
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

const version = "2"

const (
	tokenEnv = "SBX_TOKEN"
	dialEnv  = "SBX_DIAL"
	// The sandbox's home of every file operation and watch.
	workspace = "/workspace"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" && os.Getpid() != 1 {
		fmt.Println(version)
		return
	}
	// Never as a sandbox's PID 1, whatever command its image names.
	if len(os.Args) == 2 && os.Args[1] == serveStdioFlag && os.Getpid() != 1 {
		serveGitHost()
		return
	}
	// Same uid as the sandbox's code: without this, that code could read our environment (the
	// token), our file descriptors (the socket) or ptrace us.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "sandbox-agent: PR_SET_DUMPABLE:", errno)
		os.Exit(1)
	}
	token := os.Getenv(tokenEnv)
	dial := os.Getenv(dialEnv)
	if dial == "" {
		dial = "/run/sbx/host.sock"
	}
	os.Unsetenv(tokenEnv)
	os.Unsetenv(dialEnv)
	if token == "" {
		fmt.Fprintln(os.Stderr, "sandbox-agent: no token")
		os.Exit(1)
	}
	shieldFromSignals()

	a := newAgent()
	a.token = token
	go a.reap()
	if len(os.Args) > 1 {
		// The image's own entrypoint/command, supervised like any background process.
		a.startInit(os.Args[1:])
	}
	backoff := 20 * time.Millisecond
	for {
		conn, err := net.Dial("unix", dial)
		if err != nil {
			time.Sleep(backoff)
			if backoff < time.Second {
				backoff *= 2
			}
			continue
		}
		backoff = 20 * time.Millisecond
		a.serve(conn)
		time.Sleep(backoff)
	}
}

// shieldFromSignals keeps the agent alive whatever the sandbox sends it. As PID 1 of its PID
// namespace, it only receives signals it has a handler for (SIGKILL from inside is dropped), but the
// Go runtime installs handlers that exit on TERM, INT, HUP, QUIT and a few more, and crashes on
// ABRT, ILL, BUS, FPE or SEGV even when they come from kill(2). Notify (rather than
// Ignore, whose SIG_IGN the children would inherit) turns them into values that are thrown away.
func shieldFromSignals() {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGVTALRM, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGTSTP, syscall.SIGTTIN,
		syscall.SIGTTOU, syscall.SIGTRAP, syscall.SIGSTKFLT, syscall.SIGPWR, syscall.SIGSYS, syscall.SIGIO, syscall.SIGWINCH,
		// Sent with kill(2) these are asynchronous: notified, they are values too (a real fault still crashes).
		syscall.SIGILL, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV)
	go func() {
		for range ch {
		}
	}()
	// Signals 32 and 34 are reserved by C libraries (glibc's SIGCANCEL, musl's SIGSYNCCALL): the Go
	// runtime installs no handler and refuses to relay them, and a burst of other signals let a
	// `kill -34 1` end the agent (measured). Ignored instead; children inherit SIG_IGN for these two
	// (their C library installs its own handler where it uses them).
	for _, sig := range []uintptr{32, 34} {
		act := struct {
			handler  uintptr
			flags    uint64
			restorer uintptr
			mask     uint64
		}{handler: 1 /* SIG_IGN */}
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	}
}
