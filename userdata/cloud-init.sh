#!/bin/sh
# EC2 user data: bootstrap this instance's SSH identity with lkp at first boot.
# Paste as user data (or use cloud-init.yaml). Requires an instance profile whose role
# trusts only ec2.amazonaws.com with lambda:InvokeFunction on the signer, and the lkp
# binary: baked into the AMI (bake-ami.sh, the choice for AMIs without the AWS CLI), or
# fetched here from S3 (the role then also needs s3:GetObject on that one object) and run
# only if its SHA256 is the one written below (the release's lkp-linux-ARCH.sha256). A key
# ending in .gz is the gzip-compressed binary (about a third of the transfer at boot): its
# SHA256 is the .gz file's (lkp-linux-ARCH.gz.sha256), checked before unpacking.
set -eu

# --- settings -----------------------------------------------------------------
LKP_FUNCTION_NAME="${LKP_FUNCTION_NAME:-lkp-signer}"   # signer Lambda name or ARN
LKP_USERS="${LKP_USERS:-}"                              # logins to admit; empty = the distro login
LKP_BINARY_S3="${LKP_BINARY_S3:-}"                      # s3://BUCKET/KEY of lkp-linux-x64 or -arm64 (or its .gz), when not baked in
LKP_BINARY_SHA256="${LKP_BINARY_SHA256:-}"              # its SHA256 (64 hex digits); required with LKP_BINARY_S3
LKP_ROOT="${LKP_ROOT:-}"                                # install under another root (image builds, tests); empty = /
# ------------------------------------------------------------------------------

lkp="$LKP_ROOT/usr/local/bin/lkp"
die() { echo "lkp: $*" >&2; exit 1; }

if [ ! -x "$lkp" ]; then
  [ -n "$LKP_BINARY_S3" ] || die "$lkp is missing and LKP_BINARY_S3 is not set: bake lkp into the AMI (userdata/bake-ami.sh) or give its S3 location and SHA256"
  case "$LKP_BINARY_S3" in s3://?*/?*) ;; *) die "LKP_BINARY_S3 must be s3://BUCKET/KEY, not $LKP_BINARY_S3" ;; esac
  want="$(printf '%s' "$LKP_BINARY_SHA256" | tr 'A-F' 'a-f')"
  printf '%s\n' "$want" | grep -Eqx '[0-9a-f]{64}' || die "LKP_BINARY_SHA256 must be the binary's SHA256 (64 hex digits, from lkp-linux-ARCH.sha256); refusing to run an unverified download"
  command -v aws >/dev/null 2>&1 || die "no AWS CLI on this AMI to fetch $LKP_BINARY_S3: bake lkp into the AMI instead (userdata/bake-ami.sh)"
  mkdir -p "$(dirname "$lkp")"
  tmp="$lkp.download.$$"
  trap 'rm -f "$tmp"' EXIT
  aws s3 cp --only-show-errors "$LKP_BINARY_S3" "$tmp" || die "could not fetch $LKP_BINARY_S3 (does the instance role allow s3:GetObject on it?)"
  got="$(sha256sum "$tmp" | cut -d ' ' -f 1)"
  [ "$got" = "$want" ] || die "$LKP_BINARY_S3 has SHA256 $got, not the expected $want: not installed, not run"
  case "$LKP_BINARY_S3" in
    *.gz) gzip -dc < "$tmp" > "$tmp.unpacked" && mv "$tmp.unpacked" "$tmp" || { rm -f "$tmp.unpacked"; die "$LKP_BINARY_S3 is not a gzip file: not installed, not run"; } ;;
  esac
  chmod 0755 "$tmp"
  "$tmp" --version >/dev/null || die "the downloaded binary does not run here (wrong architecture, or glibc older than 2.28?)"
  mv "$tmp" "$lkp"
  trap - EXIT
fi

args="--function-name $LKP_FUNCTION_NAME"
[ -n "$LKP_USERS" ] && args="$args --users $LKP_USERS"
umask 022
mkdir -p "$LKP_ROOT/etc/default"
printf 'LKP_FUNCTION_NAME=%s\nLKP_HOST_ARGS="%s"\n' "$LKP_FUNCTION_NAME" "$args" > "$LKP_ROOT/etc/default/lkp"

# lkp validates with sshd -t, swaps by rename and rolls back on failure: a failed run
# leaves sshd exactly as it was, so logins by key keep working while you look. It retries
# an unreachable or throttled signer itself (--retry-for, jittered back-off); a refusal is final.
# shellcheck disable=SC2086
"$lkp" host --retry-for 5m $args || { echo "lkp host failed; see above (sshd unchanged)" >&2; exit 1; }

if [ -z "$LKP_ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /etc/systemd/system ]; then
  # Renewal twice a day; the revocation list (sshd's RevokedKeys) every few minutes.
  for timer in lkp-host-renew lkp-host-krl; do
    if [ -f "/usr/local/share/lkp/$timer.timer" ]; then
      cp "/usr/local/share/lkp/$timer.service" "/usr/local/share/lkp/$timer.timer" /etc/systemd/system/
      systemctl daemon-reload
      systemctl enable --now "$timer.timer"
    fi
  done
fi
