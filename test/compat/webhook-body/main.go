// Renders kube-eventer webhook bodies the way kube-eventer's webhook sink does
// (sinks/webhook/webhook.go, RenderBodyTemplate): parse the template as "body", apply the sink's
// changes to the event, execute the template against the *v1.Event.
//
// Usage: render -template FILE -eventer 1.2.7|1.2.14 < cases.json > results.json
//
// cases.json is a JSON array of {"event": <core/v1 Event>, "messageBase64"?: "..."}; messageBase64
// replaces the message with raw bytes (for invalid UTF-8, which JSON text cannot carry). Each result
// holds the body (base64: the exact bytes), whether it is valid JSON (encoding/json.Valid and UTF-8),
// and the error of decoding it into the Alertmanager webhook shape the way a Go receiver such as
// Notification Manager does (time.Time startsAt/endsAt: RFC 3339 only).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type input struct {
	Event         *corev1.Event `json:"event"`
	MessageBase64 string        `json:"messageBase64,omitempty"`
}

type output struct {
	Body        []byte `json:"body"`
	RenderError string `json:"renderError,omitempty"`
	ValidJSON   bool   `json:"validJSON"`
	ValidUTF8   bool   `json:"validUTF8"`
	DecodeError string `json:"decodeError,omitempty"`
}

// The Alertmanager webhook message, as a Go receiver decodes it.
type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type webhookMessage struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []webhookAlert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
}

func main() {
	templateFile := flag.String("template", "", "file with the body template")
	eventer := flag.String("eventer", "1.2.7", "kube-eventer release whose event changes to apply: 1.2.7 or 1.2.14")
	version := flag.Bool("version", false, "print the Go version and exit")
	flag.Parse()
	if *version {
		fmt.Println(runtime.Version())
		return
	}
	if *eventer != "1.2.7" && *eventer != "1.2.14" {
		fail(fmt.Errorf("-eventer %q: want 1.2.7 or 1.2.14", *eventer))
	}
	text, err := os.ReadFile(*templateFile)
	if err != nil {
		fail(err)
	}
	var cases []input
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fail(err)
	}
	results := make([]output, 0, len(cases))
	for _, c := range cases {
		if c.MessageBase64 != "" {
			raw, err := base64.StdEncoding.DecodeString(c.MessageBase64)
			if err != nil {
				fail(err)
			}
			c.Event.Message = string(raw)
		}
		results = append(results, render(string(text), c.Event, *eventer))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func render(text string, event *corev1.Event, eventer string) output {
	// Both releases parse the template for every event and drop '"' from the message.
	tpl, err := template.New("body").Parse(text)
	if err != nil {
		return output{RenderError: "parse: " + err.Error()}
	}
	event.Message = strings.Replace(event.Message, `"`, ``, -1)
	// 1.2.14 (not 1.2.7) also sets LastTimestamp to the first non-zero of LastTimestamp, EventTime, now.
	if eventer == "1.2.14" && event.LastTimestamp.IsZero() {
		if !event.EventTime.IsZero() {
			event.LastTimestamp = metav1.Time{Time: event.EventTime.Time}
		} else {
			event.LastTimestamp = metav1.Time{Time: time.Now()}
		}
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, event); err != nil {
		return output{Body: buf.Bytes(), RenderError: "execute: " + err.Error()}
	}
	out := output{Body: buf.Bytes(), ValidJSON: json.Valid(buf.Bytes()), ValidUTF8: utf8.Valid(buf.Bytes())}
	var msg webhookMessage
	if err := json.Unmarshal(buf.Bytes(), &msg); err != nil {
		out.DecodeError = err.Error()
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "render:", err)
	os.Exit(2)
}
