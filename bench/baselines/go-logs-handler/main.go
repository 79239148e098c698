// Baseline (c): the seed's LogsHandler logic (../shared/seeds/openfunction-log-alerting.md) over a
// corpus of log records (NDJSON, one Kafka record value a line), without OpenFunction: the same
// three matches on the raw record, the same extraction and the same alert JSON, no send.
//
//	logs-handler percall <corpus> <passes>   regexps compiled on every call, as the seed writes it
//	logs-handler once <corpus> <passes>      the same regexps compiled once
//
// Prints one JSON line: records, matches, seconds, cpuSeconds. Standard library only.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

const (
	httpCodeNotFound = "404"
	namespace        = "demo-project"
	podName          = "wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}"
	alertName        = "404 Request"
	severity         = "warning"
)

type alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type data struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []alert           `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
}

type matchers struct {
	code, ns, pod, request *regexp.Regexp
}

func compile() matchers {
	return matchers{
		code:    regexp.MustCompile(fmt.Sprintf(" %s ", httpCodeNotFound)),
		ns:      regexp.MustCompile(fmt.Sprintf("namespace_name\":\"%s", namespace)),
		pod:     regexp.MustCompile(fmt.Sprintf(`(%s)`, podName)),
		request: regexp.MustCompile(`([A-Z]+) (/\S*) HTTP`),
	}
}

// handle is LogsHandler's body; m nil compiles the regexps on every call as the seed does.
func handle(in []byte, m *matchers) int {
	content := string(in)
	var matchHTTPCode, matchNamespace bool
	var matchPodName []string
	if m == nil {
		matchHTTPCode, _ = regexp.MatchString(fmt.Sprintf(" %s ", httpCodeNotFound), content)
		matchNamespace, _ = regexp.MatchString(fmt.Sprintf("namespace_name\":\"%s", namespace), content)
		matchPodName = regexp.MustCompile(fmt.Sprintf(`(%s)`, podName)).FindStringSubmatch(content)
	} else {
		matchHTTPCode = m.code.MatchString(content)
		matchNamespace = m.ns.MatchString(content)
		matchPodName = m.pod.FindStringSubmatch(content)
	}
	if !(matchHTTPCode && matchNamespace && matchPodName != nil) {
		return 0
	}
	var match []string
	if m == nil {
		match = regexp.MustCompile(`([A-Z]+) (/\S*) HTTP`).FindStringSubmatch(content)
	} else {
		match = m.request.FindStringSubmatch(content)
	}
	if match == nil {
		return 0
	}
	path := match[len(match)-1]
	method := match[len(match)-2]
	pod := matchPodName[len(matchPodName)-1]
	notify := &data{
		Receiver:          "notification_manager",
		Status:            "firing",
		GroupLabels:       map[string]string{"alertname": alertName, "namespace": namespace},
		CommonLabels:      map[string]string{"alertname": alertName, "namespace": namespace, "severity": severity},
		CommonAnnotations: map[string]string{},
	}
	notify.Alerts = append(notify.Alerts, alert{
		Status:      "firing",
		Labels:      map[string]string{"alertname": alertName, "namespace": namespace, "severity": severity, "pod": pod, "path": path, "method": method},
		Annotations: map[string]string{},
		StartsAt:    time.Now(),
	})
	if b, err := json.Marshal(notify); err != nil || len(b) == 0 {
		return 0
	}
	return 1
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: logs-handler percall|once <corpus> <passes>")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[2])
	if err != nil {
		panic(err)
	}
	passes, _ := strconv.Atoi(os.Args[3])
	lines := bytes.Split(bytes.TrimRight(text, "\n"), []byte("\n"))
	var m *matchers
	if os.Args[1] == "once" {
		c := compile()
		m = &c
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	matches := 0
	for p := 0; p < passes; p++ {
		for _, line := range lines {
			matches += handle(line, m)
		}
	}
	seconds := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]any{"mode": os.Args[1], "records": len(lines) * passes, "matches": matches, "seconds": seconds, "cpuSeconds": cpuSeconds() - cpu0})
	fmt.Println(string(out))
}
