package main

// The git host mode: `sandbox-agent --serve-stdio`. The container-manager starts it inside the
// bubblewrap namespace it confines git to (the session's volume, /usr, /dev/null, /dev/urandom;
// two capabilities), once per session's repository, and runs every git process of that session
// through it, so the namespace is paid for once instead of once per git process
// (docs/git-checkpoints.md). The protocol runs over its stdin and stdout: a pipe only the manager
// that spawned it holds, so there is no hello, token, socket or re-dial. It serves what git needs
// and nothing else (servedToGit): execs with their stdin, signals and pings. File operations and
// watches are refused: they are written for a sandbox's /workspace as the sandbox user, and here
// they would run as root. It ends when its stdin closes, killing any git still running.

import (
	"os"
	"syscall"
	"time"
)

const serveStdioFlag = "--serve-stdio"

// stdio is the manager's connection: requests on stdin, frames out on stdout. The children never
// inherit it: their 0, 1 and 2 are their own pipes, and every other descriptor is close-on-exec.
type stdio struct{ in, out *os.File }

func (s stdio) Read(p []byte) (int, error)         { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error)        { return s.out.Write(p) }
func (s stdio) SetReadDeadline(t time.Time) error  { return s.in.SetReadDeadline(t) }
func (s stdio) SetWriteDeadline(t time.Time) error { return s.out.SetWriteDeadline(t) }
func (s stdio) Close() error {
	s.in.Close()
	return s.out.Close()
}

// servedToGit says which requests a git host answers.
func servedToGit(typ byte) bool {
	switch typ {
	case tPing, tStart, tInput, tCloseInput, tSignal, tDetach:
		return true
	}
	return false
}

func serveGitHost() {
	// Non-blocking descriptors go through Go's poller, so the write deadline holds on them too.
	for _, fd := range []int{0, 1} {
		if err := syscall.SetNonblock(fd, true); err != nil {
			os.Stderr.WriteString("sandbox-agent: " + err.Error() + "\n")
			os.Exit(1)
		}
	}
	a := newAgent()
	a.gitHost = true
	go a.reap()
	h := newHostConn(stdio{in: os.NewFile(0, "stdin"), out: os.NewFile(1, "stdout")})
	a.requests(h)
	h.close()
	a.connectionLost(h)
}
