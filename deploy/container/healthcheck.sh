#!/bin/bash
# Container HEALTHCHECK for wsecho: exit 0 when GET /healthz on $PORT
# answers 200, else 1. Plain bash (/dev/tcp), because the images carry no
# curl or wget. Used by ../../Dockerfile and Dockerfile.bun; exercised by
# tests/e2e/container_test.ts against a running and a stopped server.
set -u
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-1234}" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
read -r -t 3 status_line <&3 || exit 1
[[ $status_line == "HTTP/1.1 200 "* ]]
