// Package gocommon is the shared harness of the Go benchmark peers: the command line, the seed's
// workload loop (keys 0..N-1 from one atomic counter, C goroutines), the measurements and the one
// JSON line every peer prints. A peer supplies only connect/prepare and the two operations.
package gocommon

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

const (
	KeyspaceCQL = "CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
	TableCQL    = "CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)"
	InsertCQL   = "INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)"
	SelectCQL   = "SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?"
)

type Args struct {
	Host         string
	Port         int
	Workload     string
	Ops          int64
	Concurrency  int
	CreateSchema bool
	Warmup       int64
	Populate     bool
	PerfCtl      string
	PerfAck      string
}

func ParseArgs() Args {
	var a Args
	flag.StringVar(&a.Host, "host", "127.0.0.1", "contact point")
	flag.IntVar(&a.Port, "port", 9042, "CQL port")
	flag.StringVar(&a.Workload, "workload", "inserts", "inserts|selects|mixed")
	flag.Int64Var(&a.Ops, "ops", 100000, "timed operations (keys 0..ops-1)")
	flag.IntVar(&a.Concurrency, "concurrency", 1, "concurrent goroutines")
	flag.BoolVar(&a.CreateSchema, "create-schema", false, "create keyspace benchks and table benchtab")
	flag.Int64Var(&a.Warmup, "warmup", -1, "untimed operations first (default min(20000, ops/10))")
	flag.BoolVar(&a.Populate, "populate", false, "selects/mixed: insert keys 0..ops-1 before the timer")
	flag.StringVar(&a.PerfCtl, "perf-ctl", "", "perf stat --control fifo (enable/disable around the timed loop)")
	flag.StringVar(&a.PerfAck, "perf-ack", "", "perf stat --control ack fifo")
	flag.Parse()
	if a.Ops <= 0 || a.Concurrency <= 0 {
		Fail(fmt.Errorf("--ops and --concurrency must be positive"))
	}
	if a.Workload != "inserts" && a.Workload != "selects" && a.Workload != "mixed" {
		Fail(fmt.Errorf("unknown workload %q", a.Workload))
	}
	if a.Warmup < 0 {
		a.Warmup = min(20000, (a.Ops+9)/10)
	}
	a.Warmup = min(a.Warmup, a.Ops)
	return a
}

// Fail prints the reason on stderr and exits non-zero (no JSON line).
func Fail(err error) {
	fmt.Fprintf(os.Stderr, "runner failed: %v\n", err)
	os.Exit(1)
}

// Driver is what a peer implements. Insert writes (pk, 2pk, 3pk); Select must return an error
// unless the row read back is (pk, 2pk, 3pk).
type Driver interface {
	Insert(pk int64) error
	Select(pk int64) error
}

// CheckRow is the selects' value check.
func CheckRow(pk, k, v1, v2 int64) error {
	if k != pk || v1 != 2*pk || v2 != 3*pk {
		return fmt.Errorf("select of pk %d returned (%d, %d, %d), expected (%d, %d, %d)", pk, k, v1, v2, pk, 2*pk, 3*pk)
	}
	return nil
}

// Result is the JSON row.
type Result struct {
	Driver               string   `json:"driver"`
	DriverVersion        string   `json:"driverVersion"`
	Workload             string   `json:"workload"`
	Concurrency          int      `json:"concurrency"`
	Ops                  int64    `json:"ops"`
	OpsPerSec            float64  `json:"opsPerSec"`
	P50Us                float64  `json:"p50Us"`
	P99Us                float64  `json:"p99Us"`
	P999Us               float64  `json:"p999Us"`
	CPUUsPerOp           float64  `json:"cpuUsPerOp"`
	MainThreadCPUUsPerOp *float64 `json:"mainThreadCpuUsPerOp"`
	AllocsPerOp          *float64 `json:"allocsPerOp"`
	GCPerMillionOps      *float64 `json:"gcPerMillionOps"`
	GCMsPerMillionOps    *float64 `json:"gcMsPerMillionOps"`
	EventLoopDelayP99Us  *float64 `json:"eventLoopDelayP99Us"`
	RssBeforeMb          float64  `json:"rssBeforeMb"`
	RssAfterMb           float64  `json:"rssAfterMb"`
	Notes                string   `json:"notes"`
}

// ModuleVersion reports the version of a module linked into this binary, following a replace.
func ModuleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Path + "@" + d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}

const (
	wlInserts = iota
	wlSelects
	wlMixed
)

func mode(w string) int {
	switch w {
	case "selects":
		return wlSelects
	case "mixed":
		return wlMixed
	}
	return wlInserts
}

// runLoops runs keys from..to-1 on c goroutines; with timed, returns the merged latency histogram (ns).
func runLoops(d Driver, m int, from, to int64, c int, timed bool) (*hdrhistogram.Histogram, error) {
	var next atomic.Int64
	next.Store(from)
	hs := make([]*hdrhistogram.Histogram, c)
	errs := make([]error, c)
	var wg sync.WaitGroup
	for i := 0; i < c; i++ {
		if timed {
			hs[i] = hdrhistogram.New(1, 60_000_000_000, 3)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := hs[i]
			for {
				pk := next.Add(1) - 1
				if pk >= to {
					return
				}
				t0 := time.Now()
				var err error
				if m == wlInserts || (m == wlMixed && pk&1 == 0) {
					err = d.Insert(pk)
				} else {
					err = d.Select(pk)
				}
				if err != nil {
					errs[i] = err
					next.Store(to) // stop the others
					return
				}
				if h != nil {
					_ = h.RecordValue(max(time.Since(t0).Nanoseconds(), 1))
				}
			}
		}(i)
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	if !timed {
		return nil, nil
	}
	total := hdrhistogram.New(1, 60_000_000_000, 3)
	for _, h := range hs {
		total.Merge(h)
	}
	return total, nil
}

func cpuUs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec)*1e6 + float64(ru.Utime.Usec+ru.Stime.Usec)
}

func rssMb() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return round(pages*float64(os.Getpagesize())/1048576, 1)
}

func round(v float64, digits int) float64 {
	m := 1.0
	for i := 0; i < digits; i++ {
		m *= 10
	}
	return float64(int64(v*m+0.5)) / m
}

type perfControl struct{ ctl, ack *os.File }

func (p *perfControl) command(c string) {
	if p == nil {
		return
	}
	if _, err := p.ctl.WriteString(c + "\n"); err != nil {
		Fail(fmt.Errorf("perf ctl: %w", err))
	}
	var b [16]byte
	_, _ = p.ack.Read(b[:])
}

// Run does populate, warm-up and the timed run, then prints the JSON line. Statements must be
// prepared by the caller before Run (before the timer).
func Run(a Args, d Driver, driverName, driverVersion, notes string) {
	var perf *perfControl
	if a.PerfCtl != "" && a.PerfAck != "" {
		ctl, err := os.OpenFile(a.PerfCtl, os.O_WRONLY, 0)
		if err != nil {
			Fail(err)
		}
		ack, err := os.OpenFile(a.PerfAck, os.O_RDONLY, 0)
		if err != nil {
			Fail(err)
		}
		perf = &perfControl{ctl, ack}
	}
	m := mode(a.Workload)
	if a.Populate && m != wlInserts {
		if _, err := runLoops(d, wlInserts, 0, a.Ops, max(a.Concurrency, 256), false); err != nil {
			Fail(err)
		}
	}
	if a.Warmup > 0 {
		if _, err := runLoops(d, m, 0, a.Warmup, a.Concurrency, false); err != nil {
			Fail(err)
		}
	}
	runtime.GC() // start every run from the same heap state
	var ms0, ms1 runtime.MemStats
	rssBefore := rssMb()
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuUs()
	perf.command("enable")
	t0 := time.Now()
	h, err := runLoops(d, m, 0, a.Ops, a.Concurrency, true)
	elapsed := time.Since(t0).Seconds()
	perf.command("disable")
	cpu1 := cpuUs()
	runtime.ReadMemStats(&ms1)
	rssAfter := rssMb()
	if err != nil {
		Fail(err)
	}
	ops := float64(a.Ops)
	allocs := round(float64(ms1.Mallocs-ms0.Mallocs)/ops, 2)
	gcs := round(float64(ms1.NumGC-ms0.NumGC)*1e6/ops, 1)
	gcMs := round(float64(ms1.PauseTotalNs-ms0.PauseTotalNs)/1e6*1e6/ops, 1)
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = "100 (default)"
	}
	r := Result{
		Driver: driverName, DriverVersion: driverVersion, Workload: a.Workload, Concurrency: a.Concurrency,
		Ops: a.Ops, OpsPerSec: round(ops/elapsed, 0),
		P50Us:      round(float64(h.ValueAtQuantile(50))/1000, 1),
		P99Us:      round(float64(h.ValueAtQuantile(99))/1000, 1),
		P999Us:     round(float64(h.ValueAtQuantile(99.9))/1000, 1),
		CPUUsPerOp: round((cpu1-cpu0)/ops, 3), AllocsPerOp: &allocs, GCPerMillionOps: &gcs,
		GCMsPerMillionOps: &gcMs, RssBeforeMb: rssBefore, RssAfterMb: rssAfter,
		Notes: fmt.Sprintf("%s; %s; GOGC=%s, GOMAXPROCS=%d; %d goroutines; gcMs is STW pause time",
			notes, runtime.Version(), gogc, runtime.GOMAXPROCS(0), a.Concurrency),
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}
