package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

type ptySize struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

type startRequest struct {
	Proc string            `json:"proc"`
	Argv []string          `json:"argv"`
	Cwd  string            `json:"cwd"`
	Env  map[string]string `json:"env"`
	Pty  *ptySize          `json:"pty"`
	// Attach streams the output on the start's channel from the first byte.
	Attach bool `json:"attach"`
	// Exec: the caller waits for it; it is killed (with its group) if the connection drops while it
	// runs, and forgotten once its exit is sent.
	Exec bool `json:"exec"`
	// Per stream, bytes sent to an attached caller (the rest is read and dropped); 0: no limit.
	OutputLimit int64 `json:"outputLimit"`
	// Output kept for later attaches (a ring: the oldest bytes go first); 0: none.
	RingBytes int `json:"ringBytes"`
	// Stdin stays open for input frames (otherwise the process reads EOF).
	Stdin bool `json:"stdin"`
	// Meta is kept as is and listed with the process (the manager's own description of it).
	Meta json.RawMessage `json:"meta"`
}

type chunk struct {
	stream byte
	seq    uint64
	data   []byte
}

type subscriber struct {
	h       *hostConn
	channel uint32
	limit   int64
	sent    [2]int64
}

type proc struct {
	name      string
	argv      []string
	meta      json.RawMessage
	pid       int
	exec      bool
	startedAt time.Time

	mu         sync.Mutex
	ring       []chunk
	ringBytes  int
	ringMax    int
	nextSeq    uint64
	firstSeq   uint64
	subs       []*subscriber
	total      [2]int64
	lastOutput time.Time
	exited     bool
	finished   bool
	exitCode   int
	signal     int
	finishedAt time.Time
	stdin      *os.File
	pty        *os.File
	readers    sync.WaitGroup
	outs       []*os.File
	exitAt     time.Time
}

// Bounds on what the agent keeps: processes it tracks, and exited commands kept for their output.
const (
	maxProcs        = 256
	maxExitedKept   = 32
	exitQuietPeriod = 25 * time.Millisecond
)

type agent struct {
	mu      sync.Mutex
	procs   map[string]*proc
	byPid   map[int]*proc
	watcher *watcher
	// token proves the agent to the manager on every dial; a claim of a pooled sandbox replaces it.
	token string
	// gitHost: serving the manager's git processes (host.go), not a sandbox.
	gitHost bool
}

func newAgent() *agent {
	return &agent{procs: map[string]*proc{}, byPid: map[int]*proc{}, watcher: newWatcher()}
}

// baseEnv is the container's environment as the agent got it (without its own variables).
func baseEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 {
			env[kv[:i]] = kv[i+1:]
		}
	}
	return env
}

func (a *agent) startInit(argv []string) {
	h := &hostConn{closed: true}
	a.start(h, 0, startRequest{Proc: "init", Argv: argv, Cwd: workspace})
}

func (a *agent) start(h *hostConn, channel uint32, req startRequest) {
	if req.Proc == "" || len(req.Proc) > 128 || len(req.Argv) == 0 {
		h.fail(channel, fail(codeBadRequest, "proc and argv are required"))
		return
	}
	if len(req.Meta) > 64<<10 {
		h.fail(channel, fail(codeBadRequest, "meta is too large"))
		return
	}
	// A git host's processes get exactly the environment the manager sends; a sandbox's inherit the container's.
	env := map[string]string{}
	if !a.gitHost {
		env = baseEnv()
	}
	for k, v := range req.Env {
		env[k] = v
	}
	envList := make([]string, 0, len(env))
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	sort.Strings(envList)
	cwd := req.Cwd
	if cwd == "" {
		cwd = workspace
	}
	path, err := lookPath(req.Argv[0], env["PATH"])
	if err != nil {
		h.fail(channel, &agentError{Code: codeSpawn, Message: req.Argv[0] + ": not found"})
		return
	}

	p := &proc{name: req.Proc, argv: req.Argv, meta: req.Meta, exec: req.Exec, ringMax: req.RingBytes, startedAt: time.Now()}
	var childFiles []*os.File
	var parentOut [2]*os.File
	attr := &syscall.SysProcAttr{Setpgid: true}
	if req.Pty != nil {
		master, slave, err := openPty(req.Pty.Cols, req.Pty.Rows)
		if err != nil {
			h.fail(channel, fail(codeFailed, "cannot open a pty: "+err.Error()))
			return
		}
		childFiles = []*os.File{slave, slave, slave}
		p.pty, p.stdin, parentOut[0] = master, master, master
		attr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	} else {
		inR, inW, err1 := os.Pipe()
		outR, outW, err2 := os.Pipe()
		errR, errW, err3 := os.Pipe()
		if err1 != nil || err2 != nil || err3 != nil {
			for _, f := range []*os.File{inR, inW, outR, outW, errR, errW} {
				if f != nil {
					f.Close()
				}
			}
			h.fail(channel, fail(codeFailed, "cannot create pipes"))
			return
		}
		childFiles = []*os.File{inR, outW, errW}
		parentOut = [2]*os.File{outR, errR}
		if req.Stdin {
			p.stdin = inW
		} else {
			inW.Close()
		}
	}
	fds := make([]uintptr, len(childFiles))
	for i, f := range childFiles {
		fds[i] = f.Fd()
	}

	a.mu.Lock()
	if _, exists := a.procs[req.Proc]; exists {
		a.mu.Unlock()
		closeAll(childFiles, parentOut[:], p.stdin)
		h.fail(channel, fail(codeBadRequest, "a process with this name exists"))
		return
	}
	if len(a.procs) >= maxProcs {
		a.mu.Unlock()
		closeAll(childFiles, parentOut[:], p.stdin)
		h.fail(channel, fail(codeLimit, "too many processes"))
		return
	}
	for _, f := range parentOut {
		if f != nil {
			p.readers.Add(1)
			p.outs = append(p.outs, f)
		}
	}
	// Under a.mu, so the reaper cannot see this pid's exit before it is registered.
	pid, err := syscall.ForkExec(path, req.Argv, &syscall.ProcAttr{Dir: cwd, Env: envList, Files: fds, Sys: attr})
	if err != nil {
		a.mu.Unlock()
		closeAll(childFiles, parentOut[:], p.stdin)
		h.fail(channel, spawnError(req.Argv[0], cwd, err))
		return
	}
	p.pid = pid
	a.procs[req.Proc] = p
	a.byPid[pid] = p
	if req.Attach {
		p.subs = append(p.subs, &subscriber{h: h, channel: channel, limit: req.OutputLimit})
		h.addStream(channel, func() { p.unsubscribe(h, channel) })
	}
	// The reply goes out before any output frame of this channel (both under a.mu / p.mu order).
	h.ok(channel, map[string]interface{}{"pid": pid})
	a.mu.Unlock()
	seen := map[*os.File]bool{}
	for _, f := range childFiles {
		if !seen[f] {
			seen[f] = true
			f.Close()
		}
	}
	for i, f := range parentOut {
		if f != nil {
			go p.read(byte(i), f)
		}
	}
	a.evictExited()
}

func closeAll(a []*os.File, b []*os.File, c *os.File) {
	seen := map[*os.File]bool{}
	for _, list := range [][]*os.File{a, b, {c}} {
		for _, f := range list {
			if f != nil && !seen[f] {
				seen[f] = true
				f.Close()
			}
		}
	}
}

func spawnError(name, cwd string, err error) error {
	errno, _ := err.(syscall.Errno)
	switch errno {
	case syscall.ENOENT:
		if _, statErr := os.Stat(cwd); statErr != nil {
			return &agentError{Code: codeSpawn, Message: "can't cd to " + cwd}
		}
		return &agentError{Code: codeSpawn, Message: name + ": not found"}
	case syscall.ENOTDIR:
		return &agentError{Code: codeSpawn, Message: "can't cd to " + cwd}
	case syscall.EACCES:
		return &agentError{Code: codeSpawn, Message: name + ": Permission denied"}
	}
	return &agentError{Code: codeSpawn, Message: name + ": " + err.Error()}
}

// lookPath finds a program like a shell would (names with a slash are taken as they are).
func lookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if pathEnv == "" {
		pathEnv = "/usr/local/bin:/usr/bin:/bin"
	}
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		candidate := dir + "/" + name
		if st, err := os.Stat(candidate); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", syscall.ENOENT
}

// read passes one output stream on until EOF (a PTY ends with EIO once every holder is gone).
func (p *proc) read(stream byte, f *os.File) {
	defer p.readers.Done()
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			p.output(stream, append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			return
		}
	}
}

func (p *proc) output(stream byte, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seq := p.nextSeq
	p.nextSeq += uint64(len(data))
	p.total[stream] += int64(len(data))
	p.lastOutput = time.Now()
	if p.ringMax > 0 {
		p.ring = append(p.ring, chunk{stream: stream, seq: seq, data: data})
		p.ringBytes += len(data)
		for p.ringBytes > p.ringMax && len(p.ring) > 0 {
			over := p.ringBytes - p.ringMax
			head := &p.ring[0]
			if over >= len(head.data) {
				p.ringBytes -= len(head.data)
				p.ring = p.ring[1:]
			} else {
				head.data = head.data[over:]
				head.seq += uint64(over)
				p.ringBytes -= over
			}
		}
		if len(p.ring) > 0 {
			p.firstSeq = p.ring[0].seq
		} else {
			p.firstSeq = p.nextSeq
		}
	} else {
		p.firstSeq = p.nextSeq
	}
	if p.finished {
		return
	}
	for _, s := range p.subs {
		s.deliver(stream, seq, data)
	}
}

func (s *subscriber) deliver(stream byte, seq uint64, data []byte) {
	if s.limit > 0 {
		room := s.limit - s.sent[stream]
		if room <= 0 {
			return
		}
		if int64(len(data)) > room {
			data = data[:room]
		}
	}
	s.sent[stream] += int64(len(data))
	typ := byte(tStdout)
	if stream == 1 {
		typ = tStderr
	}
	for len(data) > 0 {
		n := len(data)
		if n > chunkSize {
			n = chunkSize
		}
		var head [8]byte
		binary.BigEndian.PutUint64(head[:], seq)
		s.h.send(typ, s.channel, head[:], data[:n])
		data, seq = data[n:], seq+uint64(n)
	}
}

func (p *proc) unsubscribe(h *hostConn, channel uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range p.subs {
		if s.h == h && s.channel == channel {
			p.subs = append(p.subs[:i], p.subs[i+1:]...)
			return
		}
	}
}

func (p *proc) exitInfo() map[string]interface{} {
	info := map[string]interface{}{"exitCode": nil, "signal": nil, "stdoutBytes": p.total[0], "stderrBytes": p.total[1]}
	if p.signal != 0 {
		info["signal"] = p.signal
	} else {
		info["exitCode"] = p.exitCode
	}
	return info
}

// attach replays what the ring holds from `from`, then follows until the exit.
func (a *agent) attach(h *hostConn, channel uint32, name string, from uint64) {
	a.mu.Lock()
	p := a.procs[name]
	a.mu.Unlock()
	if p == nil {
		h.fail(channel, fail(codeNoProcess, "no such process"))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start := from
	if start < p.firstSeq {
		start = p.firstSeq
	}
	if start > p.nextSeq {
		start = p.nextSeq
	}
	h.ok(channel, map[string]interface{}{"from": start, "next": p.nextSeq, "dropped": from < p.firstSeq})
	s := &subscriber{h: h, channel: channel}
	for _, c := range p.ring {
		end := c.seq + uint64(len(c.data))
		if end <= start {
			continue
		}
		data, seq := c.data, c.seq
		if seq < start {
			data, seq = data[start-seq:], start
		}
		s.deliver(c.stream, seq, data)
	}
	if p.finished {
		h.send(tExit, channel, mustJSON(p.exitInfo()))
		return
	}
	p.subs = append(p.subs, s)
	h.addStream(channel, func() { p.unsubscribe(h, channel) })
}

func (a *agent) find(name string) (*proc, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.procs[name]
	if p == nil {
		return nil, fail(codeNoProcess, "no such process")
	}
	return p, nil
}

func (a *agent) input(name string, data []byte) error {
	p, err := a.find(name)
	if err != nil {
		return err
	}
	p.mu.Lock()
	stdin := p.stdin
	p.mu.Unlock()
	if stdin == nil {
		return fail(codeBadRequest, "stdin is closed")
	}
	if _, err := stdin.Write(data); err != nil {
		return fail(codeFailed, "cannot write to stdin: "+err.Error())
	}
	return nil
}

func (a *agent) closeInput(name string) error {
	p, err := a.find(name)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdin != nil && p.pty == nil {
		p.stdin.Close()
		p.stdin = nil
	}
	return nil
}

func (a *agent) signal(name string, sig int) error {
	p, err := a.find(name)
	if err != nil {
		return err
	}
	if sig <= 0 || sig > 64 {
		return fail(codeBadRequest, "bad signal")
	}
	// The process group is the process's own (Setpgid/Setsid): the group leader's pid.
	if err := syscall.Kill(-p.pid, syscall.Signal(sig)); err != nil && err != syscall.ESRCH {
		return fail(codeFailed, err.Error())
	}
	return nil
}

func (a *agent) resize(name string, cols, rows int) error {
	p, err := a.find(name)
	if err != nil {
		return err
	}
	if p.pty == nil {
		return fail(codeBadRequest, "the process has no pty")
	}
	return setWinsize(p.pty, cols, rows)
}

func (a *agent) forget(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.procs[name]
	if p == nil {
		return fail(codeNoProcess, "no such process")
	}
	p.mu.Lock()
	finished := p.finished
	p.mu.Unlock()
	if !finished {
		return fail(codeBadRequest, "the process is still running")
	}
	delete(a.procs, name)
	return nil
}

type procInfo struct {
	Proc       string          `json:"proc"`
	Argv       []string        `json:"argv"`
	Pid        int             `json:"pid"`
	Running    bool            `json:"running"`
	ExitCode   interface{}     `json:"exitCode"`
	Signal     interface{}     `json:"signal"`
	StartedAt  int64           `json:"startedAt"`
	FinishedAt interface{}     `json:"finishedAt"`
	Exec       bool            `json:"exec"`
	Meta       json.RawMessage `json:"meta,omitempty"`
}

func (a *agent) list() []procInfo {
	a.mu.Lock()
	procs := make([]*proc, 0, len(a.procs))
	for _, p := range a.procs {
		procs = append(procs, p)
	}
	a.mu.Unlock()
	out := make([]procInfo, 0, len(procs))
	for _, p := range procs {
		p.mu.Lock()
		info := procInfo{Proc: p.name, Argv: p.argv, Pid: p.pid, Running: !p.finished, StartedAt: p.startedAt.UnixMilli(), Exec: p.exec, Meta: p.meta}
		if p.finished {
			e := p.exitInfo()
			info.ExitCode, info.Signal, info.FinishedAt = e["exitCode"], e["signal"], p.finishedAt.UnixMilli()
		}
		p.mu.Unlock()
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt < out[j].StartedAt })
	return out
}

// evictExited keeps at most maxExitedKept finished processes (the oldest go first).
func (a *agent) evictExited() {
	a.mu.Lock()
	defer a.mu.Unlock()
	var done []*proc
	for _, p := range a.procs {
		p.mu.Lock()
		if p.finished {
			done = append(done, p)
		}
		p.mu.Unlock()
	}
	if len(done) <= maxExitedKept {
		return
	}
	sort.Slice(done, func(i, j int) bool { return done[i].finishedAt.Before(done[j].finishedAt) })
	for _, p := range done[:len(done)-maxExitedKept] {
		delete(a.procs, p.name)
	}
}

// connectionLost kills what only that connection was waiting for: running execs (their caller is
// gone, and a retry would run them twice). Background commands keep running and keep their output.
func (a *agent) connectionLost(h *hostConn) {
	a.mu.Lock()
	var victims []*proc
	for _, p := range a.procs {
		p.mu.Lock()
		if p.exec && !p.exited {
			for _, s := range p.subs {
				if s.h == h {
					victims = append(victims, p)
					break
				}
			}
		}
		p.mu.Unlock()
	}
	a.mu.Unlock()
	for _, p := range victims {
		syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	a.watcher.dropConnection(h)
}

// reap collects every child that exits: ours (recorded, then reported once their output is
// drained) and orphans the sandbox's processes leave behind (PID 1 inherits them).
func (a *agent) reap() {
	sigchld := make(chan os.Signal, 16)
	signal.Notify(sigchld, syscall.SIGCHLD)
	tick := time.NewTicker(time.Second)
	for {
		select {
		case <-sigchld:
		case <-tick.C:
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			a.mu.Lock()
			p := a.byPid[pid]
			delete(a.byPid, pid)
			a.mu.Unlock()
			if p != nil {
				p.exitedWith(a, ws)
			}
		}
	}
}

func (p *proc) exitedWith(a *agent, ws syscall.WaitStatus) {
	p.mu.Lock()
	p.exited = true
	p.exitAt = time.Now()
	if ws.Signaled() {
		p.signal = int(ws.Signal())
	} else {
		p.exitCode = ws.ExitStatus()
	}
	p.mu.Unlock()
	go func() {
		// Output written just before the exit is still in the pipes: wait for EOF. Background
		// processes that inherited the pipes keep them open: then stop waiting once the output has
		// been quiet for a moment (their later output still lands in the ring).
		drained := make(chan struct{})
		go func() { p.readers.Wait(); close(drained) }()
		for done := false; !done; {
			select {
			case <-drained:
				done = true
			case <-time.After(exitQuietPeriod):
				p.mu.Lock()
				last := p.lastOutput
				if p.exitAt.After(last) {
					last = p.exitAt
				}
				done = time.Since(last) >= exitQuietPeriod && !p.unread()
				p.mu.Unlock()
			}
		}
		p.mu.Lock()
		p.finished = true
		p.finishedAt = time.Now()
		if p.stdin != nil && p.pty == nil {
			p.stdin.Close()
			p.stdin = nil
		}
		info := mustJSON(p.exitInfo())
		subs := p.subs
		p.subs = nil
		for _, s := range subs {
			s.h.send(tExit, s.channel, info)
			s.h.endStreamQuiet(s.channel)
		}
		exec := p.exec
		p.mu.Unlock()
		if exec {
			a.mu.Lock()
			if a.procs[p.name] == p {
				delete(a.procs, p.name)
			}
			a.mu.Unlock()
		}
		a.evictExited()
	}()
}

// unread tells whether an output pipe still holds bytes nobody has read yet.
func (p *proc) unread() bool {
	for _, f := range p.outs {
		raw, err := f.SyscallConn()
		if err != nil {
			continue
		}
		n := 0
		raw.Control(func(fd uintptr) {
			syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		})
		if n > 0 {
			return true
		}
	}
	return false
}
