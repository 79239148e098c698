module klaxon.bench/logshandler

go 1.22
