#!/usr/bin/env bash
# Build the Photoarchive container image from the Containerfile and smoke-test it.
#
# No container registry is needed: the base image is a Debian root made with
# debootstrap and imported into buildah's storage (cached between runs), and
# the app image is built on top of it with BASE=<that image>. The built image
# is then run with `buildah run` (chroot isolation, host network) and driven
# through its HTTP API: sign up, log in, upload a JPEG and a HEIC, fetch the
# WebP thumbnails, run `photoarchive healthcheck`, stop with SIGTERM.
#
# Needs root. Environment knobs:
#   PHOTOARCHIVE_CT_STORAGE   buildah storage root (default /var/lib/containers/photoarchive-ct)
#   PHOTOARCHIVE_CT_MIRROR    Debian mirror (default: from the apt sources, else deb.debian.org)
#   PHOTOARCHIVE_CT_KEEP=1    keep the built app image afterwards
#   PHOTOARCHIVE_CT_REBASE=1  rebuild the cached base image
#   PHOTOARCHIVE_CT_VERBOSE=1 show the image build's output as it runs
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_DIR=$PWD

SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,ca-certificates
PHOTO=../shared/testdata/photos/cameras/Canon_40D.jpg
STORAGE=${PHOTOARCHIVE_CT_STORAGE:-/var/lib/containers/photoarchive-ct}
RUNROOT=/run/containers/$(basename "$STORAGE")
APP_IMAGE=localhost/photoarchive-ct:run$$

STARTED=$SECONDS
STEP="start"
WORK=""
SERVER_PID=""
CONTAINERS=()
APP_IMAGE_BUILT=0

log() { printf '[container-test %4ss] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() { log "error: $*"; exit 1; }
step() { STEP=$1; log "== $1"; }

# Every buildah call goes to one private vfs store, so the cached base image is
# found again and nothing clashes with another storage configuration.
bh() {
    buildah --root "$STORAGE" --runroot "$RUNROOT" --storage-driver vfs "$@"
}

cleanup() {
    local rc=$?
    set +e
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        stop_server KILL >/dev/null 2>&1
    fi
    local c
    for c in "${CONTAINERS[@]}"; do
        bh rm "$c" >/dev/null 2>&1
    done
    if [[ $APP_IMAGE_BUILT == 1 && ${PHOTOARCHIVE_CT_KEEP:-0} != 1 ]]; then
        bh rmi -f "$APP_IMAGE" >/dev/null 2>&1
    fi
    if [[ -n $WORK ]]; then
        unmount_under "$WORK"
        rm -rf --one-file-system "$WORK"
    fi
    if [[ $rc == 0 ]]; then
        echo "container-test: PASS (${SECONDS}s)"
    else
        echo "container-test: FAIL at step '$STEP' (exit $rc, ${SECONDS}s)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unmount_under() {
    local m
    # Deepest first; debootstrap mounts proc/sys inside its target.
    while read -r m; do
        umount -l "$m" 2>/dev/null
    done < <(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
}

# --------------------------------------------------------------------------
step "tools"
[[ $(id -u) == 0 ]] || fail "must run as root (buildah and debootstrap need it)"
[[ -f $PHOTO ]] || fail "test photo $PHOTO not found (shared/ must sit beside the repo)"
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
command -v pgrep >/dev/null || missing+=(procps)
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "$(buildah --version)"

mirror=${PHOTOARCHIVE_CT_MIRROR:-}
if [[ -z $mirror ]]; then
    # First Debian archive URI in the apt sources (deb822 or one-line style).
    mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -v '^[[:space:]]*#' |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v -- '-security' | head -n1 | tr -d ' ' || true)
    mirror=${mirror:-http://deb.debian.org/debian}
fi

# Leftovers of runs that were killed before their cleanup (their PID is gone).
for name in $(bh containers --format '{{.ContainerName}}' 2>/dev/null | grep -E '^photoarchive-ct-(base-)?[0-9]+$' || true); do
    kill -0 "${name##*-}" 2>/dev/null || bh rm "$name" >/dev/null 2>&1 || true
done
for ref in $(bh images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep -E '^localhost/photoarchive-ct:run[0-9]+$' || true); do
    kill -0 "${ref##*:run}" 2>/dev/null || bh rmi -f "$ref" >/dev/null 2>&1 || true
done

WORK=$(mktemp -d /var/tmp/photoarchive-ct.XXXXXX)
chmod 0755 "$WORK"

# --------------------------------------------------------------------------
step "base image"
HOST_CA_BUNDLE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
ca_sum=$(sha256sum "$HOST_CA_BUNDLE" 2>/dev/null | cut -c1-16 || true)
base_key=$(printf '%s|%s|%s|%s|v2' "$SUITE" "$BASE_PACKAGES" "$mirror" "$ca_sum" | sha256sum | cut -c1-12)
BASE_IMAGE=localhost/photoarchive-ct-base:$SUITE-$base_key
if [[ ${PHOTOARCHIVE_CT_REBASE:-0} != 1 ]] && bh inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    log "reusing cached $BASE_IMAGE"
else
    t0=$SECONDS
    rootfs=$WORK/rootfs
    log "debootstrap $SUITE (minbase + $BASE_PACKAGES) from $mirror"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$SUITE" "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -n 30 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
    unmount_under "$rootfs"
    # Slim it down and drop what debootstrap copied from this host.
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/dev/* "$rootfs"/run/* "$rootfs"/tmp/*
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    # Trust what this host trusts: where egress goes through a TLS-inspecting
    # proxy, its CA is in the host bundle and pip in the build needs it too.
    extra=$(python3 - "$HOST_CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt" \
        "$rootfs/usr/local/share/ca-certificates" <<'PY'
import pathlib, re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
def certs(path):
    p = pathlib.Path(path)
    return pem.findall(p.read_text()) if p.is_file() else []
have = {"".join(c.split()) for c in certs(sys.argv[2])}
out = pathlib.Path(sys.argv[3])
n = 0
for cert in certs(sys.argv[1]):
    if "".join(cert.split()) not in have:
        n += 1
        (out / f"host-ca-{n}.crt").write_text(cert + "\n")
print(n)
PY
    )
    if ((extra > 0)); then
        chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
        log "added $extra CA certificate(s) from $HOST_CA_BUNDLE"
    fi
    echo "deb $mirror $SUITE main" >"$rootfs/etc/apt/sources.list"
    : >"$rootfs/etc/resolv.conf"
    echo localhost >"$rootfs/etc/hostname"

    ctr=$(bh from --name "photoarchive-ct-base-$$" scratch)
    CONTAINERS+=("$ctr")
    mnt=$(bh mount "$ctr")
    tar -C "$rootfs" --numeric-owner -cf - . | tar -C "$mnt" --numeric-owner -xpf -
    bh umount "$ctr" >/dev/null
    bh config --os linux --arch "$(dpkg --print-architecture)" \
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env LANG=C.UTF-8 --cmd /bin/bash \
        --label org.opencontainers.image.description="Debian $SUITE minbase with $BASE_PACKAGES" \
        "$ctr"
    bh commit --quiet --format docker --rm "$ctr" "$BASE_IMAGE" >/dev/null
    CONTAINERS=()
    rm -rf --one-file-system "$rootfs"
    log "built $BASE_IMAGE in $((SECONDS - t0))s"
    # Drop base images cached under an older key.
    for old in $(bh images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/photoarchive-ct-base:' || true); do
        [[ $old == "$BASE_IMAGE" ]] || bh rmi "$old" >/dev/null 2>&1 || true
    done
fi

# --------------------------------------------------------------------------
step "build"
[[ -f pyproject.toml ]] || fail "pyproject.toml missing: nothing to build"
t0=$SECONDS
# --format docker keeps HEALTHCHECK (the OCI image config has no field for it).
bh build --isolation chroot --format docker --pull=never \
    --build-arg BASE="$BASE_IMAGE" \
    --build-arg VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)" \
    --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -f Containerfile -t "$APP_IMAGE" . 2>&1 |
    if [[ ${PHOTOARCHIVE_CT_VERBOSE:-0} == 1 ]]; then tee "$WORK/build.log"; else cat >"$WORK/build.log"; fi ||
    { tail -n 40 "$WORK/build.log"; fail "image build failed (log above)"; }
APP_IMAGE_BUILT=1
BUILD_TIME=$((SECONDS - t0))
log "pip in the build fetched $(grep -c 'Downloading ' "$WORK/build.log" || true) files from the package index"
IMAGE_SIZE=$(bh images --format '{{.Size}}' "$APP_IMAGE" | head -n1)
BASE_SIZE=$(bh images --format '{{.Size}}' "$BASE_IMAGE" | head -n1)
log "built $APP_IMAGE in ${BUILD_TIME}s: $IMAGE_SIZE (base $BASE_SIZE)"

step "image config"
cfg() { bh inspect --type image --format "$1" "$APP_IMAGE"; }
user=$(cfg '{{.Docker.Config.User}}')
[[ -n $user && $user != root && $user != 0 && $user != 0:* ]] || fail "image runs as root (User='$user')"
health=$(cfg '{{.Docker.Config.Healthcheck}}')
[[ $health == *photoarchive*healthcheck* ]] ||
    fail "no HEALTHCHECK in image config ($health)"
entry=$(cfg '{{.Docker.Config.Entrypoint}}')
[[ $entry == "[photoarchive]" ]] || fail "entrypoint is not exec-form photoarchive ($entry)"
env_list=$(cfg '{{.Docker.Config.Env}}')
[[ $env_list == *PHOTOARCHIVE_DATA_DIR=/data* && $env_list == *PHOTOARCHIVE_HOST=0.0.0.0* ]] ||
    fail "PHOTOARCHIVE_DATA_DIR/HOST not set in image ($env_list)"
log "user=$user entrypoint=$entry healthcheck=$health"

# --------------------------------------------------------------------------
step "run"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$WORK/data
PROBE=$WORK/probe
mkdir -p "$DATA" "$PROBE"
chown "$user" "$DATA" "$PROBE"

CTR=$(bh from --pull=never --name "photoarchive-ct-$$" "$APP_IMAGE")
CONTAINERS+=("$CTR")
run_in() {
    bh run --isolation chroot -v "$DATA:/data" -v "$PROBE:/probe" \
        --env PHOTOARCHIVE_PORT="$PORT" "$CTR" -- "$@"
}

version=$(run_in photoarchive --version) || fail "photoarchive --version failed"
log "photoarchive --version: $version"

# Every module imports: catches a runtime dependency missing from the wheel's
# metadata (S3 and Cognito code included, which this test does not drive).
run_in python -c '
import importlib, pkgutil, photoarchive
names = [m.name for m in pkgutil.walk_packages(photoarchive.__path__, "photoarchive.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(f"imported {len(names)} modules")
' || fail "a photoarchive module does not import inside the image"

run_in python -c '
import pillow_heif
from PIL import Image
pillow_heif.register_heif_opener()
Image.new("RGB", (320, 240), (200, 80, 40)).save("/probe/sample.heic", quality=80)
with Image.open("/probe/sample.heic") as im:
    im.load()
    assert im.size == (320, 240), im.size
print("heic ok, libheif", pillow_heif.libheif_version())
' || fail "HEIC encode/decode inside the image failed"

SERVER_LOG=$WORK/server.log
# Bind to loopback only: chroot isolation shares the host's network.
run_in photoarchive serve --host 127.0.0.1 --port "$PORT" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# `buildah run` answers SIGTERM by killing its child outright, so signal the
# app itself: the process below buildah's chroot helpers.
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}
app_pids() {
    local p argv0
    for p in $(descendants "$SERVER_PID"); do
        argv0=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n1)
        [[ -n $argv0 && $argv0 != buildah* ]] && echo "$p"
    done
    return 0
}
stop_server() {
    local sig=${1:-TERM} pids
    pids=$(app_pids)
    [[ -z $pids ]] || kill -s "$sig" $pids 2>/dev/null
    if [[ $sig == KILL ]]; then
        pids=$(descendants "$SERVER_PID")
        [[ -z $pids ]] || kill -s KILL $pids 2>/dev/null
    fi
    return 0
}

BASE_URL=http://127.0.0.1:$PORT
log "waiting for $BASE_URL/healthz"
healthy=0
for _ in $(seq 1 120); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$SERVER_LOG"
        fail "server exited during start-up (log above)"
    fi
    if body=$(curl -fsS --max-time 2 "$BASE_URL/healthz" 2>/dev/null); then
        healthy=1
        break
    fi
    sleep 0.5
done
((healthy)) || { cat "$SERVER_LOG"; fail "server did not become healthy"; }
log "healthz: $body"
[[ $body == *'"ok"'* ]] || fail "unexpected /healthz body: $body"

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
# request METHOD PATH EXPECTED_STATUS [curl args...] -> body in $RESP
request() {
    local method=$1 path=$2 want=$3 status
    shift 3
    status=$(curl -sS --max-time 60 -o "$WORK/resp" -w '%{http_code}' -X "$method" "$@" "$BASE_URL$path") ||
        fail "$method $path: curl failed"
    RESP=$(cat "$WORK/resp")
    [[ $status == "$want" ]] || fail "$method $path: HTTP $status, wanted $want: ${RESP:0:500}"
}

step "pages"
# Templates and static files come from inside the installed wheel. A fresh archive sends
# sign-in to the page that makes its first account.
request GET /login 303
request GET /signup 200
[[ $RESP == *"first account"* ]] || fail "the fresh archive's sign-up page does not say it makes the first account"
css=$(grep -oE '/static/[^"]+\.css\?v=[0-9a-f]{16}' <<<"$RESP" | head -n1)
[[ -n $css ]] || fail "the sign-up page links no stylesheet named by its content's digest"
request GET "$css" 200
log "GET /login (303), /signup and $css: 200"

step "api"
PASSWORD="ct-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
request POST /api/v1/auth/signup 201 -H 'Content-Type: application/json' \
    -d "{\"username\": \"ctuser\", \"email\": \"ctuser@example.com\", \"password\": \"$PASSWORD\"}"
log "signed up ctuser"
request POST /api/v1/auth/login 200 -H 'Content-Type: application/json' \
    -d "{\"login\": \"ctuser\", \"password\": \"$PASSWORD\"}"
TOKEN=$(json 'd["token"]' <<<"$RESP") || fail "no token in login response: $RESP"
[[ -n $TOKEN ]] || fail "empty token"
AUTH=(-H "Authorization: Bearer $TOKEN")
log "logged in"

check_upload() { # FILE MIME
    local file=$1 mime=$2 thumb got status ctype magic
    request POST /api/v1/photos 201 "${AUTH[@]}" \
        -F "file=@$file;type=$mime" -F "caption=container test $(basename "$file")"
    errors=$(json 'len(d["errors"])' <<<"$RESP") || fail "bad upload response: $RESP"
    [[ $errors == 0 ]] || fail "upload of $file reported errors: $RESP"
    thumb=$(json 'd["items"][0]["urls"]["thumbnail"]' <<<"$RESP") || fail "no thumbnail url: $RESP"
    [[ $thumb == /* ]] || thumb=/$thumb
    got=$(curl -sS --max-time 60 "${AUTH[@]}" -o "$WORK/thumb" -w '%{http_code} %{content_type}' "$BASE_URL$thumb") ||
        fail "GET $thumb: curl failed"
    status=${got%% *}
    ctype=${got#* }
    [[ $status == 200 ]] || fail "GET $thumb: HTTP $status"
    [[ $ctype == image/webp* ]] || fail "GET $thumb: content type '$ctype', wanted image/webp"
    magic=$(head -c 12 "$WORK/thumb" | tail -c 4)
    [[ $magic == WEBP ]] || fail "GET $thumb: body is not a WebP file"
    log "uploaded $(basename "$file") -> $thumb ($ctype, $(stat -c %s "$WORK/thumb") bytes)"
}
check_upload "$PHOTO" image/jpeg
check_upload "$PROBE/sample.heic" image/heic

step "healthcheck"
run_in photoarchive healthcheck >/dev/null || fail "photoarchive healthcheck failed inside the container"
log "photoarchive healthcheck: ok"

step "stop"
stop_server TERM
for _ in $(seq 1 40); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG"
    fail "server ignored SIGTERM for 20s"
fi
server_rc=0
wait "$SERVER_PID" || server_rc=$?
SERVER_PID=""
# uvicorn re-raises SIGTERM after its graceful shutdown, so "killed by
# SIGTERM" is fine as long as the shutdown itself ran.
if ((server_rc != 0)) && ! grep -qiE 'shutdown complete|finished server process' "$SERVER_LOG"; then
    tail -n 20 "$SERVER_LOG"
    fail "server exited with status $server_rc after SIGTERM without a graceful shutdown"
fi
log "server shut down gracefully on SIGTERM"

step "done"
log "build ${BUILD_TIME}s, image $IMAGE_SIZE, total $((SECONDS - STARTED))s"
