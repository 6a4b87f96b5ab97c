package main

// A record is a directory or the same paths under a URL.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type source struct {
	location string
	remote   bool
	client   *http.Client
}

type notFound struct{ path string }

func (e notFound) Error() string { return e.path + " is missing" }

func newSource(location string) *source {
	loc := strings.TrimRight(location, "/")
	remote := strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
	return &source{location: loc, remote: remote, client: &http.Client{Timeout: 30 * time.Second}}
}

func (s *source) read(path string) ([]byte, error) {
	if s.remote {
		resp, err := s.client.Get(s.location + "/" + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, notFound{path}
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	}
	data, err := os.ReadFile(filepath.Join(s.location, filepath.FromSlash(path)))
	if os.IsNotExist(err) {
		return nil, notFound{path}
	}
	return data, err
}

func (s *source) exists(path string) bool {
	_, err := s.read(path)
	return err == nil
}

// listCheckpoints names the files of log/checkpoints/ (a directory only: HTTP has no listing).
func (s *source) listCheckpoints() ([]int64, bool) {
	if s.remote { // the server's index: one size per line
		data, err := s.read("log/checkpoints/")
		if err != nil {
			return nil, false
		}
		var sizes []int64
		for _, line := range strings.Fields(string(data)) {
			v, err := strconv.ParseInt(line, 10, 64)
			if err != nil || strconv.FormatInt(v, 10) != line {
				v = -1
			}
			sizes = append(sizes, v)
		}
		sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
		return sizes, true
	}
	names, err := os.ReadDir(filepath.Join(s.location, "log", "checkpoints"))
	if err != nil {
		return nil, true
	}
	var sizes []int64
	for _, n := range names {
		v, err := strconv.ParseInt(n.Name(), 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != n.Name() {
			sizes = append(sizes, -1) // a stray file: reported by the caller
			continue
		}
		sizes = append(sizes, v)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	return sizes, true
}
