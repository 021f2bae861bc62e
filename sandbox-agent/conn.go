package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// stream is what a connection to the manager runs over: the unix socket a sandbox's agent dials, or
// the stdin/stdout pipe of a git host (host.go).
type stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// hostConn is one connection to the manager. Writes are whole frames under one mutex; a write that
// cannot finish in writeTimeout ends the connection (the manager re-accepts a re-dial).
type hostConn struct {
	c      stream
	wmu    sync.Mutex
	mu     sync.Mutex
	closed bool
	// File writes in progress: their data frames go to the writer of that channel.
	uploads map[uint32]chan []byte
	// Streams (attach, watch) that a DETACH on their channel ends.
	streams map[uint32]func()
}

const writeTimeout = 30 * time.Second

func (h *hostConn) send(typ byte, channel uint32, parts ...[]byte) bool {
	buf := encodeFrame(typ, channel, parts...)
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if h.isClosed() {
		return false
	}
	h.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := h.c.Write(buf); err != nil {
		h.close()
		return false
	}
	return true
}

func (h *hostConn) ok(channel uint32, v interface{}) { h.send(tOK, channel, mustJSON(v)) }

func (h *hostConn) fail(channel uint32, err error) {
	e, isAgentError := err.(*agentError)
	if !isAgentError {
		e = fail(codeFailed, err.Error())
	}
	h.send(tErr, channel, mustJSON(e))
}

func (h *hostConn) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func (h *hostConn) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	uploads := h.uploads
	h.uploads = map[uint32]chan []byte{}
	streams := h.streams
	h.streams = map[uint32]func(){}
	h.mu.Unlock()
	h.c.Close()
	for _, ch := range uploads {
		close(ch)
	}
	for _, stop := range streams {
		stop()
	}
}

func (h *hostConn) addStream(channel uint32, stop func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		go stop()
		return
	}
	h.streams[channel] = stop
}

func (h *hostConn) endStream(channel uint32) {
	h.mu.Lock()
	stop := h.streams[channel]
	delete(h.streams, channel)
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func newHostConn(c stream) *hostConn {
	return &hostConn{c: c, uploads: map[uint32]chan []byte{}, streams: map[uint32]func(){}}
}

// serve runs one connection: hello, then requests until it breaks. Processes started with `exec`
// whose caller is gone with the connection are killed; background commands live on.
func (a *agent) serve(c stream) {
	h := newHostConn(c)
	defer func() {
		h.close()
		a.connectionLost(h)
	}()
	a.mu.Lock()
	token := a.token
	a.mu.Unlock()
	if !h.send(tHello, 0, mustJSON(map[string]interface{}{"token": token, "version": version, "pid": 1})) {
		return
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	welcome, err := readFrame(c)
	if err != nil || welcome.typ != tWelcome {
		return
	}
	var settings struct {
		WatchMaxDirs int `json:"watchMaxDirs"`
	}
	_ = json.Unmarshal(welcome.payload, &settings)
	a.watcher.setLimit(settings.WatchMaxDirs)
	c.SetReadDeadline(time.Time{})
	a.requests(h)
}

// requests handles frames until the connection breaks.
func (a *agent) requests(h *hostConn) {
	for {
		f, err := readFrame(h.c)
		if err != nil {
			return
		}
		a.handle(h, f)
	}
}

func (a *agent) handle(h *hostConn, f frame) {
	if a.gitHost && !servedToGit(f.typ) {
		h.fail(f.channel, fail(codeBadRequest, "not served by a git host"))
		return
	}
	switch f.typ {
	case tPing:
		h.ok(f.channel, struct{}{})
	case tRekey:
		// Only the manager, on a connection it already authenticated, can send this.
		var req struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(f.payload, &req); err != nil || req.Token == "" || len(req.Token) > 256 {
			h.fail(f.channel, fail(codeBadRequest, "bad rekey request"))
			return
		}
		a.mu.Lock()
		a.token = req.Token
		a.mu.Unlock()
		h.ok(f.channel, struct{}{})
	case tData, tEOF:
		h.mu.Lock()
		ch := h.uploads[f.channel]
		if f.typ == tEOF {
			delete(h.uploads, f.channel)
		}
		h.mu.Unlock()
		if ch == nil {
			return
		}
		if f.typ == tEOF {
			ch <- nil // end of data; a channel closed without it is a write cut short
			close(ch)
		} else {
			ch <- f.payload
		}
	case tDetach:
		h.endStream(f.channel)
	case tInput:
		if len(f.payload) < 2 {
			h.fail(f.channel, fail(codeBadRequest, "bad input frame"))
			return
		}
		n := int(binary.BigEndian.Uint16(f.payload[:2]))
		if len(f.payload) < 2+n {
			h.fail(f.channel, fail(codeBadRequest, "bad input frame"))
			return
		}
		name, data := string(f.payload[2:2+n]), f.payload[2+n:]
		go a.reply(h, f.channel, func() (interface{}, error) { return struct{}{}, a.input(name, data) })
	case tStart:
		var req startRequest
		if err := json.Unmarshal(f.payload, &req); err != nil {
			h.fail(f.channel, fail(codeBadRequest, "bad start request"))
			return
		}
		if a.gitHost && (!req.Exec || !req.Attach || req.Pty != nil) {
			h.fail(f.channel, fail(codeBadRequest, "a git host runs only execs without a pty"))
			return
		}
		a.start(h, f.channel, req)
	case tAttach:
		var req struct {
			Proc string `json:"proc"`
			From uint64 `json:"from"`
		}
		if err := json.Unmarshal(f.payload, &req); err != nil {
			h.fail(f.channel, fail(codeBadRequest, "bad attach request"))
			return
		}
		a.attach(h, f.channel, req.Proc, req.From)
	case tCloseInput, tSignal, tResize, tForget:
		var req struct {
			Proc   string `json:"proc"`
			Signal int    `json:"signal"`
			Cols   int    `json:"cols"`
			Rows   int    `json:"rows"`
		}
		if err := json.Unmarshal(f.payload, &req); err != nil {
			h.fail(f.channel, fail(codeBadRequest, "bad request"))
			return
		}
		typ := f.typ
		go a.reply(h, f.channel, func() (interface{}, error) {
			switch typ {
			case tCloseInput:
				return struct{}{}, a.closeInput(req.Proc)
			case tSignal:
				return struct{}{}, a.signal(req.Proc, req.Signal)
			case tResize:
				return struct{}{}, a.resize(req.Proc, req.Cols, req.Rows)
			default:
				return struct{}{}, a.forget(req.Proc)
			}
		})
	case tList:
		h.ok(f.channel, map[string]interface{}{"processes": a.list()})
	case tFile:
		var req fileRequest
		if err := json.Unmarshal(f.payload, &req); err != nil {
			h.fail(f.channel, fail(codeBadRequest, "bad file request"))
			return
		}
		if req.Op == "write" {
			// Registered before the next frame is read, so no data frame of this write is missed.
			ch := make(chan []byte, 8)
			h.mu.Lock()
			if !h.closed {
				h.uploads[f.channel] = ch
			}
			h.mu.Unlock()
			go a.reply(h, f.channel, func() (interface{}, error) { return writeFile(req.Path, ch) })
			return
		}
		go a.reply(h, f.channel, func() (interface{}, error) { return a.file(h, f.channel, req) })
	case tWatch:
		var req struct {
			Path      string `json:"path"`
			Recursive bool   `json:"recursive"`
		}
		if err := json.Unmarshal(f.payload, &req); err != nil {
			h.fail(f.channel, fail(codeBadRequest, "bad watch request"))
			return
		}
		go a.reply(h, f.channel, func() (interface{}, error) { return a.watcher.subscribe(h, f.channel, req.Path, req.Recursive) })
	default:
		h.fail(f.channel, fail(codeBadRequest, "unknown frame type"))
	}
}

// reply runs fn and answers its result (OK) or error (ERR) on the channel. A nil result means
// fn answered itself.
func (a *agent) reply(h *hostConn, channel uint32, fn func() (interface{}, error)) {
	result, err := fn()
	if err != nil {
		h.fail(channel, err)
		return
	}
	if result != nil {
		h.ok(channel, result)
	}
}

// endStreamQuiet forgets a stream that ended on its own (no stop callback to run).
func (h *hostConn) endStreamQuiet(channel uint32) {
	h.mu.Lock()
	delete(h.streams, channel)
	h.mu.Unlock()
}
