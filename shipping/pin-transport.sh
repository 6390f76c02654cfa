#!/bin/sh
# Copy the installed transport jars to a private directory for -Doctopii.pinned.transport (see pom.xml).
set -e
dir=${1:-/tmp/octopii-pinned-transport}
repo=${HOME}/.m2/repository/io/octopii/octopii-transport/0.1.0-SNAPSHOT
mkdir -p "$dir"
cp "$repo/octopii-transport-0.1.0-SNAPSHOT.jar" "$dir/octopii-transport.jar.tmp"
cp "$repo/octopii-transport-0.1.0-SNAPSHOT-tests.jar" "$dir/octopii-transport-tests.jar.tmp"
unzip -tq "$dir/octopii-transport.jar.tmp" >/dev/null && unzip -tq "$dir/octopii-transport-tests.jar.tmp" >/dev/null
mv "$dir/octopii-transport.jar.tmp" "$dir/octopii-transport.jar"
mv "$dir/octopii-transport-tests.jar.tmp" "$dir/octopii-transport-tests.jar"
echo "$dir"
