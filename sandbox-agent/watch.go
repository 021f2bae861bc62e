package main

// File events of the workspace (inotify). One inotify instance per agent watches every directory of
// the workspace (up to a limit the manager sets: watches count against a per-user kernel budget
// shared by all sandboxes); subscribers get the events under the path they asked for, in batches.

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type fileEvent struct {
	Type string `json:"type"`
	Path string `json:"path"`
	From string `json:"from,omitempty"`
}

type watchSub struct {
	h         *hostConn
	channel   uint32
	root      string // relative to the workspace, "." for all of it
	recursive bool
}

type watcher struct {
	mu         sync.Mutex
	started    bool
	fd         int
	wds        map[int32]string
	limit      int
	overflowed bool
	subs       map[*watchSub]struct{}
	pending    []fileEvent
	flushing   bool
}

const (
	watchMask = syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MODIFY | syscall.IN_CLOSE_WRITE |
		syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO | syscall.IN_DONT_FOLLOW | syscall.IN_ONLYDIR | syscall.IN_EXCL_UNLINK
	watchBatch       = 50 * time.Millisecond
	maxPendingEvents = 10000
	maxEventsInFrame = 500
)

func newWatcher() *watcher {
	return &watcher{wds: map[int32]string{}, limit: 8192, subs: map[*watchSub]struct{}{}}
}

func (w *watcher) setLimit(n int) {
	if n > 0 {
		w.mu.Lock()
		w.limit = n
		w.mu.Unlock()
	}
}

func rel(p string) string {
	if p == workspace {
		return "."
	}
	return strings.TrimPrefix(p, workspace+"/")
}

func (w *watcher) subscribe(h *hostConn, channel uint32, path string, recursive bool) (interface{}, error) {
	p, err := join(path)
	if err != nil {
		return nil, err
	}
	r, err := real(p)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
		if err != nil {
			return nil, fail(codeFailed, "cannot watch files: "+err.Error())
		}
		w.fd, w.started = fd, true
		w.addTree(workspace, false)
		go w.loop(os.NewFile(uintptr(fd), "inotify"))
	}
	s := &watchSub{h: h, channel: channel, root: rel(r), recursive: recursive}
	w.subs[s] = struct{}{}
	// OK first, then the stream: the reply is sent under w.mu, before any batch for this channel.
	h.ok(channel, map[string]interface{}{"path": s.root, "complete": !w.overflowed})
	h.addStream(channel, func() {
		w.mu.Lock()
		delete(w.subs, s)
		w.mu.Unlock()
	})
	return nil, nil
}

func (w *watcher) dropConnection(h *hostConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.subs {
		if s.h == h {
			delete(w.subs, s)
		}
	}
}

// addTree watches dir and every directory below it (links are not followed). With report, what it
// finds is reported as created (it appeared before its directory was watched). Under w.mu.
func (w *watcher) addTree(dir string, report bool) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if report && p != dir {
			w.queue(fileEvent{Type: "create", Path: rel(p)})
		}
		if !d.IsDir() {
			return nil
		}
		if len(w.wds) >= w.limit {
			w.overflowed = true
			return filepath.SkipDir
		}
		wd, err := syscall.InotifyAddWatch(w.fd, p, watchMask)
		if err != nil {
			if err == syscall.ENOSPC {
				w.overflowed = true
			}
			return filepath.SkipDir
		}
		w.wds[int32(wd)] = p
		return nil
	})
}

func (w *watcher) loop(f *os.File) {
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		w.mu.Lock()
		w.parse(buf[:n])
		w.mu.Unlock()
	}
}

// parse turns one read of inotify events into file events. Under w.mu.
func (w *watcher) parse(b []byte) {
	moves := map[uint32]string{}
	var order []uint32
	for len(b) >= syscall.SizeofInotifyEvent {
		wd := int32(binary.LittleEndian.Uint32(b[0:4]))
		mask := binary.LittleEndian.Uint32(b[4:8])
		cookie := binary.LittleEndian.Uint32(b[8:12])
		nameLen := int(binary.LittleEndian.Uint32(b[12:16]))
		end := syscall.SizeofInotifyEvent + nameLen
		if end > len(b) {
			break
		}
		name := strings.TrimRight(string(b[syscall.SizeofInotifyEvent:end]), "\x00")
		b = b[end:]
		if mask&syscall.IN_Q_OVERFLOW != 0 {
			w.queue(fileEvent{Type: "overflow", Path: "."})
			continue
		}
		dir, known := w.wds[wd]
		if mask&syscall.IN_IGNORED != 0 {
			delete(w.wds, wd)
			continue
		}
		if !known {
			continue
		}
		p := dir
		if name != "" {
			p = dir + "/" + name
		}
		isDir := mask&syscall.IN_ISDIR != 0
		switch {
		case mask&syscall.IN_CREATE != 0:
			w.queue(fileEvent{Type: "create", Path: rel(p)})
			if isDir {
				w.addTree(p, true)
			}
		case mask&(syscall.IN_MODIFY|syscall.IN_CLOSE_WRITE) != 0:
			w.queue(fileEvent{Type: "write", Path: rel(p)})
		case mask&syscall.IN_DELETE != 0:
			w.queue(fileEvent{Type: "remove", Path: rel(p)})
		case mask&syscall.IN_MOVED_FROM != 0:
			moves[cookie] = p
			order = append(order, cookie)
		case mask&syscall.IN_MOVED_TO != 0:
			if from, ok := moves[cookie]; ok {
				delete(moves, cookie)
				w.queue(fileEvent{Type: "rename", Path: rel(p), From: rel(from)})
				if isDir {
					w.renameTree(from, p)
				}
			} else {
				w.queue(fileEvent{Type: "create", Path: rel(p)})
				if isDir {
					w.addTree(p, true)
				}
			}
		}
	}
	for _, cookie := range order {
		if from, ok := moves[cookie]; ok { // moved out of the workspace
			w.queue(fileEvent{Type: "remove", Path: rel(from)})
		}
	}
}

// renameTree keeps the paths of watched directories right after a directory moved.
func (w *watcher) renameTree(from, to string) {
	for wd, p := range w.wds {
		if p == from || strings.HasPrefix(p, from+"/") {
			w.wds[wd] = to + strings.TrimPrefix(p, from)
		}
	}
}

// queue adds an event to the next batch (sent watchBatch after the first one). Under w.mu.
func (w *watcher) queue(e fileEvent) {
	if n := len(w.pending); n > 0 && w.pending[n-1] == e {
		return
	}
	if len(w.pending) >= maxPendingEvents {
		if w.pending[len(w.pending)-1].Type != "overflow" {
			w.pending = append(w.pending, fileEvent{Type: "overflow", Path: "."})
		}
		return
	}
	w.pending = append(w.pending, e)
	if !w.flushing {
		w.flushing = true
		time.AfterFunc(watchBatch, w.flush)
	}
}

func (w *watcher) flush() {
	w.mu.Lock()
	events := w.pending
	w.pending = nil
	w.flushing = false
	subs := make([]*watchSub, 0, len(w.subs))
	for s := range w.subs {
		subs = append(subs, s)
	}
	w.mu.Unlock()
	for _, s := range subs {
		var mine []fileEvent
		for _, e := range events {
			if e.Type == "overflow" || s.covers(e.Path) || (e.From != "" && s.covers(e.From)) {
				mine = append(mine, e)
			}
		}
		for len(mine) > 0 {
			n := len(mine)
			if n > maxEventsInFrame {
				n = maxEventsInFrame
			}
			s.h.send(tEvent, s.channel, mustJSON(map[string]interface{}{"events": mine[:n]}))
			mine = mine[n:]
		}
	}
}

func (s *watchSub) covers(p string) bool {
	if s.root == "." {
		return s.recursive || !strings.Contains(p, "/")
	}
	if p == s.root {
		return true
	}
	if !strings.HasPrefix(p, s.root+"/") {
		return false
	}
	return s.recursive || !strings.Contains(p[len(s.root)+1:], "/")
}
