package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gitplane/gitplane/gateway/provider/awsfake"
)

// load is one vegeta run's figures.
type load struct {
	rps           float64
	p50, p99      time.Duration
	requests      uint64
	success       float64
	errs          []string
	cpuPerRequest time.Duration // of the measured child process, when given
	cpuShare      float64       // the child's CPU time over the run's wall time
}

// attack runs vegeta against target with workers concurrent workers as
// fast as they go for d; pid, when not 0, is the process whose CPU time is
// measured over the run.
func attack(target vegeta.Target, workers uint64, d time.Duration, pid int) load {
	atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.KeepAlive(true),
		vegeta.Connections(int(workers)), vegeta.Timeout(10*time.Second))
	cpu0 := cpuTime(pid)
	var m vegeta.Metrics
	for res := range atk.Attack(vegeta.NewStaticTargeter(target), vegeta.Rate{Freq: 0}, d, "bench") {
		m.Add(res)
	}
	m.Close()
	cpu := cpuTime(pid) - cpu0
	l := load{rps: m.Throughput, p50: m.Latencies.P50, p99: m.Latencies.P99, requests: m.Requests, success: m.Success, errs: m.Errors}
	if pid != 0 && m.Requests > 0 {
		l.cpuPerRequest = cpu / time.Duration(m.Requests)
		l.cpuShare = float64(cpu) / float64(m.Duration+m.Wait)
	}
	return l
}

// attackInterleaved runs one vegeta worker against targets in turn for d
// and returns each target's figures; pids[i], when not 0, is the process
// whose CPU time is charged to target i's requests.
func attackInterleaved(targets []vegeta.Target, pids []int, d time.Duration) []load {
	atk := vegeta.NewAttacker(vegeta.Workers(1), vegeta.MaxWorkers(1), vegeta.KeepAlive(true),
		vegeta.Connections(1), vegeta.Timeout(10*time.Second))
	index := map[string]int{}
	for i, t := range targets {
		index[t.URL] = i
	}
	cpu0 := make([]time.Duration, len(pids))
	for i, p := range pids {
		cpu0[i] = cpuTime(p)
	}
	ms := make([]vegeta.Metrics, len(targets))
	for res := range atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: 0}, d, "interleaved") {
		ms[index[res.URL]].Add(res)
	}
	out := make([]load, len(targets))
	for i := range ms {
		m := &ms[i]
		m.Close()
		out[i] = load{rps: m.Throughput, p50: m.Latencies.P50, p99: m.Latencies.P99, requests: m.Requests, success: m.Success, errs: m.Errors}
		if pids[i] != 0 && m.Requests > 0 {
			out[i].cpuPerRequest = (cpuTime(pids[i]) - cpu0[i]) / time.Duration(m.Requests)
		}
	}
	return out
}

// cpuTime returns the user+system CPU time of pid (0: none).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// rssMiB returns a /proc/<pid>/status field (VmRSS, VmHWM) in MiB.
func rssMiB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// pinSelf moves every thread of this process to cpu; false when the
// machine has fewer than two cores or taskset is missing.
func pinSelf(cpu int) bool {
	if runtime.NumCPU() < 2 {
		return false
	}
	return exec.Command("taskset", "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(os.Getpid())).Run() == nil
}

// presigned returns the headers of a Bedrock request signed once, reused for
// every request of a short benchmark (the stand-in accepts a signature for
// minutes), so the direct anchor spends nothing on signing.
func presigned(t testing.TB, url string, body []byte) http.Header {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := awsfake.DefaultCredential.AWS()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req.Header
}

// firstByteInterleaved sends n rounds of streaming requests, one of each
// kind in turn, after 200 rounds of warm-up, and returns for each kind the
// p50 and p99 of the time until the first byte of the response body.
func firstByteInterleaved(c *http.Client, newReqs []func() *http.Request, n int) ([][2]time.Duration, error) {
	const warm = 200
	ds := make([][]time.Duration, len(newReqs))
	for round := range n + warm {
		for i, newReq := range newReqs {
			d, err := firstByte(c, newReq())
			if err != nil {
				return nil, fmt.Errorf("stream %d: %w", i, err)
			}
			if round >= warm {
				ds[i] = append(ds[i], d)
			}
		}
	}
	out := make([][2]time.Duration, len(newReqs))
	for i := range ds {
		out[i] = [2]time.Duration{percentile(ds[i], 50), percentile(ds[i], 99)}
	}
	return out, nil
}

// firstByte sends req and returns the time until the first byte of the
// response body arrived; it reads the rest and closes the body.
func firstByte(c *http.Client, req *http.Request) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	var one [1]byte
	if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
		return 0, err
	}
	d := time.Since(start)
	_, _ = io.Copy(io.Discard, resp.Body)
	return d, nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(len(s)-1, max(0, i-1))]
}

// streamGaps reads a gateway SSE stream and returns the gaps between data lines.
func streamGaps(c *http.Client, req *http.Request) ([]time.Duration, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	var gaps []time.Duration
	last := time.Time{}
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return gaps, nil
		}
		if err != nil {
			return gaps, err
		}
		if strings.HasPrefix(line, "data: ") {
			now := time.Now()
			if !last.IsZero() {
				gaps = append(gaps, now.Sub(last))
			}
			last = now
		}
	}
}

// concurrentStreams opens n streams at once, calls atPeak once all have
// their first chunk, and returns how many ended with [DONE].
func concurrentStreams(c *http.Client, newReq func() *http.Request, n int, atPeak func()) int {
	var started, wg sync.WaitGroup
	started.Add(n)
	wg.Add(n)
	var mu sync.Mutex
	done := 0
	for range n {
		go func() {
			defer wg.Done()
			resp, err := c.Do(newReq())
			if err != nil {
				started.Done()
				return
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			first := true
			for {
				line, err := r.ReadString('\n')
				if first && strings.HasPrefix(line, "data: ") {
					started.Done()
					first = false
				}
				if strings.HasPrefix(line, "data: [DONE]") {
					mu.Lock()
					done++
					mu.Unlock()
				}
				if err != nil {
					if first {
						started.Done()
					}
					return
				}
			}
		}()
	}
	started.Wait()
	atPeak()
	wg.Wait()
	return done
}
