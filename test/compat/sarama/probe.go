// Command compat produces one record the way a Klaxon event source does, with the sarama
// release that source ships, and prints one JSON line saying whether the broker took it.
//
// One source for every sarama release: test/integration/sarama-compat.test.ts builds it inside
// each module folder's go.mod (ibm-v1.46.3/, shopify-v1.22.1/, shopify-v1.23.1/), rewriting the
// import path for the Shopify releases and naming the library with -ldflags "-X main.library=…".
//
// Profiles reproduce each program's producer settings (read from its source; see ../README.md):
//
//	kube-eventer  common/kafka/kafka.go of kube-eventer 1.2.14 (Shopify/sarama v1.22.1)
//	eventrouter   sinks/kafkasink.go of heptiolabs/eventrouter v0.3 (Shopify/sarama v1.23.1)
//	              and of openshift/eventrouter master (IBM/sarama v1.46.3)
//
// Neither program sets config.Version; -protocol-version exists only to show what setting it
// would change, and is empty by default so the default run is exactly what the image does.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	sarama "github.com/IBM/sarama"
)

// library names the sarama release this binary was built with (set by -ldflags -X).
var library = "IBM/sarama (unnamed build)"

type result struct {
	Library         string `json:"library"`
	Profile         string `json:"profile"`
	ProtocolVersion string `json:"protocolVersion"`
	Compression     string `json:"compression"`
	OK              bool   `json:"ok"`
	Partition       int32  `json:"partition"`
	Offset          int64  `json:"offset"`
	Error           string `json:"error,omitempty"`
}

func main() {
	brokers := flag.String("brokers", "", "comma-separated bootstrap servers")
	topic := flag.String("topic", "", "topic to produce to")
	profile := flag.String("profile", "kube-eventer", "kube-eventer | eventrouter")
	compression := flag.String("compression", "none", "kube-eventer compression option: none | gzip | snappy | lz4")
	protocolVersion := flag.String("protocol-version", "", "set sarama Config.Version (the programs never do)")
	deadline := flag.Duration("deadline", 60*time.Second, "give up after this long")
	flag.Parse()

	if *brokers == "" || *topic == "" {
		fmt.Fprintln(os.Stderr, "usage: compat -brokers host:port -topic name [-profile kube-eventer|eventrouter]")
		os.Exit(2)
	}
	sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags)

	res := result{Library: library, Profile: *profile, Compression: *compression}
	config, err := configFor(*profile, *compression)
	if err == nil && *protocolVersion != "" {
		var v sarama.KafkaVersion
		v, err = sarama.ParseKafkaVersion(*protocolVersion)
		config.Version = v
	}
	if err != nil {
		finish(res, err)
	}
	res.ProtocolVersion = config.Version.String()

	done := make(chan error, 1)
	go func() {
		producer, err := sarama.NewSyncProducer(strings.Split(*brokers, ","), config)
		if err != nil {
			done <- fmt.Errorf("new producer: %w", err)
			return
		}
		defer producer.Close()
		msg := &sarama.ProducerMessage{Topic: *topic, Value: sarama.ByteEncoder(`{"compat":"` + library + `"}`)}
		if *profile == "eventrouter" {
			// eventrouter keys each record by the involved object's name.
			msg.Key = sarama.StringEncoder("compat-object")
		}
		res.Partition, res.Offset, err = producer.SendMessage(msg)
		if err != nil {
			done <- fmt.Errorf("send: %w", err)
			return
		}
		done <- nil
	}()
	select {
	case err = <-done:
	case <-time.After(*deadline):
		err = fmt.Errorf("no answer within %s", *deadline)
	}
	finish(res, err)
}

// configFor mirrors each program's producer configuration field by field.
func configFor(profile, compression string) (*sarama.Config, error) {
	config := sarama.NewConfig()
	switch profile {
	case "kube-eventer":
		config.ClientID = "kafka-sink"
		config.Net.DialTimeout = 10 * time.Second
		config.Metadata.Retry.Max = 1
		config.Metadata.Retry.Backoff = 0
		config.Producer.Retry.Max = 1
		config.Producer.Retry.Backoff = 0
		switch compression {
		case "none":
			config.Producer.Compression = sarama.CompressionNone
		case "gzip":
			config.Producer.Compression = sarama.CompressionGZIP
		case "snappy":
			config.Producer.Compression = sarama.CompressionSnappy
		case "lz4":
			config.Producer.Compression = sarama.CompressionLZ4
		default:
			return nil, fmt.Errorf("compression %q is not one kube-eventer accepts", compression)
		}
		config.Producer.Partitioner = sarama.NewRoundRobinPartitioner
		config.Producer.RequiredAcks = sarama.WaitForLocal
		config.Producer.Return.Errors = true
		config.Producer.Return.Successes = true
	case "eventrouter":
		// kafkaRetryMax defaults to 5; the async flag is read from the misspelt key
		// "kakfkaAsync", so the sync producer is what runs.
		config.Producer.Retry.Max = 5
		config.Producer.RequiredAcks = sarama.WaitForAll
		config.Producer.Return.Successes = true
	default:
		return nil, fmt.Errorf("unknown profile %q", profile)
	}
	return config, nil
}

func finish(res result, err error) {
	if err != nil {
		res.Error = err.Error()
	} else {
		res.OK = true
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if err != nil {
		os.Exit(1)
	}
}
