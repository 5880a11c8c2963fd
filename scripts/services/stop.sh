#!/usr/bin/env bash
# Stop the test servers start.sh started (all of them, or the ones named); a frozen one too.
exec bash "$(dirname "${BASH_SOURCE[0]}")/cli.sh" stop "$@"
