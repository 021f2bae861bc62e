package main

// File operations on the workspace, as the sandbox user inside the sandbox's mount namespace: the
// only host directory there is the workspace, so no link can reach a host file. On top, every path
// is resolved and must stay under /workspace, and what is opened is checked again through the
// descriptor (/proc/self/fd), so a directory swapped for a link between check and use is caught.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

type fileRequest struct {
	Op       string `json:"op"`
	Path     string `json:"path"`
	To       string `json:"to"`
	MaxBytes int64  `json:"maxBytes"`
}

type fileEntry struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Size    int64   `json:"size"`
	MtimeMs float64 `json:"mtimeMs"`
}

const maxListEntries = 100000

func inside(p string) bool { return p == workspace || strings.HasPrefix(p, workspace+"/") }

// join makes a workspace path of a relative one; the manager has already refused absolute paths,
// NUL bytes and `..` escapes, checked again here.
func join(rel string) (string, error) {
	if rel == "" || rel == "." {
		return workspace, nil
	}
	if strings.HasPrefix(rel, "/") || strings.ContainsRune(rel, 0) {
		return "", fail(codeOutside, "path must be relative to the workspace")
	}
	p := filepath.Join(workspace, rel)
	if !inside(p) {
		return "", fail(codeOutside, "path must stay inside the workspace")
	}
	return p, nil
}

// real resolves every link of an existing path, which must stay inside the workspace.
func real(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fail(codeNotFound, "no such file or directory")
	}
	if !inside(r) {
		return "", fail(codeOutside, "path resolves outside the workspace")
	}
	if _, err := os.Lstat(r); err != nil {
		return "", fail(codeNotFound, "no such file or directory")
	}
	return r, nil
}

// ancestors checks the closest existing ancestor of p (what a mkdir -p would build on).
func ancestors(p string) error {
	a := p
	for {
		if _, err := os.Lstat(a); err == nil || a == "/" {
			break
		}
		a = filepath.Dir(a)
	}
	_, err := real(a)
	return err
}

// makeDirs creates p and what is missing above it, once its closest existing ancestor is checked,
// and resolves the result, which must stay inside the workspace.
func makeDirs(p string) (string, error) {
	if err := ancestors(p); err != nil {
		return "", err
	}
	os.MkdirAll(p, 0o755) // a failure shows in real, or in what the caller then does there
	return real(p)
}

// openedInside checks where an open descriptor really is.
func openedInside(f *os.File) error {
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil || !inside(target) {
		return fail(codeChanged, "changed during the operation")
	}
	return nil
}

func entryOf(p string) (fileEntry, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return fileEntry{}, fail(codeChanged, "changed during the operation")
	}
	return toEntry(filepath.Base(p), st), nil
}

func toEntry(name string, st os.FileInfo) fileEntry {
	kind := "file"
	if st.Mode()&os.ModeSymlink != 0 {
		kind = "symlink"
	} else if st.IsDir() {
		kind = "dir"
	}
	return fileEntry{Name: name, Type: kind, Size: st.Size(), MtimeMs: float64(st.ModTime().UnixNano()) / 1e6}
}

// writeFailed answers a failed create, write or close of a written file: a full disk or quota is
// said as such (72), anything else is a plain failure.
func writeFailed(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fail(codeNoSpace, "the workspace is full")
	}
	return fail(codeFailed, "cannot write the file")
}

// file runs every operation but write (which streams its content in; see writeFile).
func (a *agent) file(h *hostConn, channel uint32, req fileRequest) (interface{}, error) {
	p, err := join(req.Path)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "read":
		return readFile(h, channel, p, req.MaxBytes)
	case "stat":
		t, err := existingChild(p)
		if err != nil {
			return nil, err
		}
		return entryOf(t)
	case "list":
		r, err := real(p)
		if err != nil {
			return nil, err
		}
		dir, err := os.Open(r)
		if err != nil {
			return nil, fail(codeNotFound, "no such file or directory")
		}
		defer dir.Close()
		if err := openedInside(dir); err != nil {
			return nil, err
		}
		if st, err := dir.Stat(); err != nil || !st.IsDir() {
			return nil, fail(codeNotDir, "not a directory")
		}
		names, err := dir.Readdirnames(maxListEntries + 1)
		if err != nil && len(names) == 0 && !errors.Is(err, io.EOF) {
			return nil, fail(codeFailed, "cannot list the directory")
		}
		if len(names) > maxListEntries {
			return nil, fail(codeTooLarge, fmt.Sprintf("the directory has more than %d entries", maxListEntries))
		}
		entries := make([]fileEntry, 0, len(names))
		for _, name := range names {
			if st, err := os.Lstat(filepath.Join(r, name)); err == nil {
				entries = append(entries, toEntry(name, st))
			}
		}
		// Sent as data frames (a big directory does not fit one frame), then OK.
		body := mustJSON(entries)
		for len(body) > 0 {
			n := len(body)
			if n > chunkSize {
				n = chunkSize
			}
			h.send(tData, channel, body[:n])
			body = body[n:]
		}
		return map[string]interface{}{"count": len(entries)}, nil
	case "mkdir":
		r, err := makeDirs(p)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return nil, fail(codeNotDir, "not a directory")
		}
		return entryOf(r)
	case "delete":
		t, err := existingChild(p)
		if err != nil {
			return nil, err
		}
		if !inside(t) || t == workspace {
			return nil, fail(codeOutside, "cannot delete the workspace")
		}
		if err := os.RemoveAll(t); err != nil {
			return nil, fail(codeFailed, "cannot delete")
		}
		return struct{}{}, nil
	case "move":
		src, err := existingChild(p)
		if err != nil {
			return nil, err
		}
		if src == workspace {
			return nil, fail(codeOutside, "cannot move the workspace")
		}
		to, err := join(req.To)
		if err != nil {
			return nil, err
		}
		rp, err := makeDirs(filepath.Dir(to))
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(rp, filepath.Base(to))
		if _, err := os.Lstat(dst); err == nil {
			return nil, fail(codeExists, "destination already exists")
		}
		if err := os.Rename(src, dst); err != nil {
			return nil, fail(codeFailed, "cannot move")
		}
		return entryOf(dst)
	}
	return nil, fail(codeBadRequest, "unknown operation")
}

// child resolves the parent of p (links followed, inside the workspace) and names p in it, so the
// last component itself is never followed.
func child(p string) (string, error) {
	if p == workspace {
		return workspace, nil
	}
	r, err := real(filepath.Dir(p))
	if err != nil {
		return "", err
	}
	return filepath.Join(r, filepath.Base(p)), nil
}

// existingChild is child for an entry that must exist (itself, not what a link there points to).
func existingChild(p string) (string, error) {
	t, err := child(p)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(t); err != nil {
		return "", fail(codeNotFound, "no such file or directory")
	}
	return t, nil
}

func readFile(h *hostConn, channel uint32, p string, max int64) (interface{}, error) {
	r, err := real(p)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(r, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fail(codeChanged, "changed during the operation")
	}
	defer f.Close()
	if err := openedInside(f); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fail(codeChanged, "changed during the operation")
	}
	if st.IsDir() {
		return nil, fail(codeIsDir, "is a directory")
	}
	if !st.Mode().IsRegular() {
		return nil, fail(codeFailed, "not a regular file")
	}
	if max > 0 && st.Size() > max {
		return nil, fail(codeTooLarge, fmt.Sprintf("file is larger than %d bytes", max))
	}
	buf := make([]byte, chunkSize)
	var size int64
	for {
		n, err := f.Read(buf)
		if n > 0 {
			size += int64(n)
			if max > 0 && size > max {
				return nil, fail(codeTooLarge, fmt.Sprintf("file is larger than %d bytes", max))
			}
			h.send(tData, channel, buf[:n])
		}
		if err != nil {
			break
		}
	}
	return map[string]interface{}{"size": size}, nil
}

// writeFile writes the data frames of a channel to a temporary file next to the target, then
// renames it over the target: a link at the target's name is replaced, never followed.
func writeFile(rel string, data <-chan []byte) (result interface{}, err error) {
	defer func() {
		if err != nil {
			for range data { // drain what the manager still sends
			}
		}
	}()
	p, err := join(rel)
	if err != nil {
		return nil, err
	}
	if p == workspace {
		return nil, fail(codeIsDir, "is a directory")
	}
	base := filepath.Base(p)
	rp, err := makeDirs(filepath.Dir(p))
	if err != nil {
		return nil, err
	}
	dir, err := os.OpenFile(rp, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, fail(codeNotDir, "parent is not a directory")
		}
		return nil, fail(codeChanged, "changed during the operation")
	}
	defer dir.Close()
	if err := openedInside(dir); err != nil {
		return nil, err
	}
	if st, err := os.Lstat(filepath.Join(rp, base)); err == nil && st.IsDir() {
		return nil, fail(codeIsDir, "is a directory")
	}
	dfd := int(dir.Fd())
	var nonce [8]byte
	rand.Read(nonce[:])
	tmp := fmt.Sprintf(".%s.sandbox-write.%x", base, nonce)
	if len(tmp) > 255 {
		tmp = fmt.Sprintf(".sandbox-write.%x", nonce)
	}
	fd, err := syscall.Openat(dfd, tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, writeFailed(err)
	}
	out := os.NewFile(uintptr(fd), tmp)
	var size int64
	eof := false
	for chunk := range data {
		if chunk == nil {
			eof = true
			continue
		}
		if _, werr := out.Write(chunk); werr != nil {
			out.Close()
			syscall.Unlinkat(dfd, tmp)
			return nil, writeFailed(werr)
		}
		size += int64(len(chunk))
	}
	if !eof { // the connection dropped mid-write: nothing is replaced
		out.Close()
		syscall.Unlinkat(dfd, tmp)
		return nil, fail(codeFailed, "the write was interrupted")
	}
	if cerr := out.Close(); cerr != nil {
		syscall.Unlinkat(dfd, tmp)
		return nil, writeFailed(cerr)
	}
	if err := syscall.Renameat(dfd, tmp, dfd, base); err != nil {
		syscall.Unlinkat(dfd, tmp)
		if errors.Is(err, syscall.EISDIR) {
			return nil, fail(codeIsDir, "is a directory")
		}
		return nil, fail(codeFailed, "cannot write the file")
	}
	return map[string]interface{}{"size": size}, nil
}
