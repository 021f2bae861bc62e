package main

// The framed protocol between the agent and the container-manager (docs/sandbox-agent.md).
//
// Every frame: [u32 big-endian length of what follows][u8 type][u32 big-endian channel][payload].
// A channel is chosen by the manager per request (replies and streams of that request carry it);
// channel 0 is the connection itself (hello, welcome). Control payloads are JSON; data payloads
// (stdin, file content, output) are raw bytes, output prefixed with its u64 sequence number.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
)

const (
	tHello   = 1 // agent → manager: {token, version, pid}
	tWelcome = 2 // manager → agent: {watchMaxDirs}
	tOK      = 3 // reply: JSON result
	tErr     = 4 // reply: {code, message}
	tPing    = 5 // manager → agent; reply OK {}
	tRekey   = 6 // manager → agent: {token}, presented from the next dial on (a pooled sandbox claimed by a session); reply OK {}

	tStart      = 10 // {proc, argv, cwd, env, pty?, attach, exec, outputLimit, ringBytes}
	tAttach     = 11 // {proc, from}: replay the ring from `from`, then follow
	tDetach     = 12 // stop a stream (attach or watch) on this channel; no reply
	tInput      = 13 // [u16 len][proc][bytes] to the process's stdin
	tCloseInput = 14 // {proc}
	tSignal     = 15 // {proc, signal}: to the process group
	tResize     = 16 // {proc, cols, rows}: the process's PTY
	tList       = 17 // reply OK {processes}
	tForget     = 18 // {proc}: drop an exited process and its output

	tFile = 20 // {op, path, to?, maxBytes?}
	tData = 21 // raw bytes of a file read (agent → manager) or write (manager → agent)
	tEOF  = 22 // manager → agent: end of a file write's data

	tWatch = 30 // {path, recursive}: file events of the workspace

	tStdout = 40 // [u64 seq][bytes]
	tStderr = 41 // [u64 seq][bytes]
	tExit   = 42 // {exitCode, signal, stdoutBytes, stderrBytes}
	tEvent  = 43 // {events: [{type, path, from?}], overflow?}
)

// Largest frame either side accepts; data is sent in chunks of at most chunkSize.
const (
	maxFrame  = 1<<20 + 64
	chunkSize = 256 << 10
)

var errFrameTooLarge = errors.New("frame too large")

type frame struct {
	typ     byte
	channel uint32
	payload []byte
}

func readFrame(r io.Reader) (frame, error) {
	var head [9]byte
	if _, err := io.ReadFull(r, head[:4]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(head[:4])
	if n < 5 || n > maxFrame {
		return frame{}, errFrameTooLarge
	}
	if _, err := io.ReadFull(r, head[4:9]); err != nil {
		return frame{}, err
	}
	payload := make([]byte, n-5)
	if _, err := io.ReadFull(r, payload); err != nil {
		return frame{}, err
	}
	return frame{typ: head[4], channel: binary.BigEndian.Uint32(head[5:9]), payload: payload}, nil
}

func encodeFrame(typ byte, channel uint32, parts ...[]byte) []byte {
	size := 5
	for _, p := range parts {
		size += len(p)
	}
	buf := make([]byte, 4, 4+size)
	binary.BigEndian.PutUint32(buf, uint32(size))
	buf = append(buf, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(buf[5:9], channel)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	return buf
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{}`)
	}
	return b
}

// agentError is a failure reported to the manager as an ERR frame.
type agentError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *agentError) Error() string { return e.Message }

// Codes shared with the manager (files keep the codes of the earlier in-sandbox scripts).
const (
	codeNotFound   = 64
	codeOutside    = 65
	codeIsDir      = 66
	codeNotDir     = 67
	codeExists     = 68
	codeFailed     = 69
	codeTooLarge   = 70
	codeChanged    = 71
	codeNoSpace    = 72
	codeBadRequest = 80
	codeNoProcess  = 81
	codeSpawn      = 82 // the program could not be started (message: the reason; errno in `errno`)
	codeLimit      = 83
)

func fail(code int, message string) *agentError { return &agentError{Code: code, Message: message} }
