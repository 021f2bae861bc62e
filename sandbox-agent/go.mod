module sandbox-agent

go 1.19
