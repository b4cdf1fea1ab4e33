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

# Renewal twice a day; the revocation list (sshd's RevokedKeys) every few minutes. An AMI
# baked by bake-ami.sh has the units in /usr/local/share/lkp; a binary fetched from S3 comes
# alone, so the units are written from here (the same text as userdata/systemd/, which a
# test keeps in step). Under LKP_ROOT they are written and enabled as systemctl would.
share="$LKP_ROOT/usr/local/share/lkp"
units="$LKP_ROOT/etc/systemd/system"
unit() { # NAME: the unit's text on stdout
  case "$1" in
    lkp-host-renew.service) cat <<'LKP_UNIT_EOF'
# Renews host certificates only when due (a third of their life left, missing, the host
# key changed, or the signer's CA keys changed in a rotation); does nothing otherwise.
# Started by lkp-host-renew.timer, whose interval plus jitter (13 h) plus a margin is the
# signer's default rotation.hostRenewalInterval (14 h): keep the two in step.
[Unit]
Description=lkp: renew SSH host certificates when due
Wants=network-online.target
After=network-online.target lkp-host.service
ConditionPathExists=/usr/local/bin/lkp

[Service]
Type=oneshot
EnvironmentFile=-/etc/default/lkp
ExecStart=/usr/local/bin/lkp host --renew-if-needed $LKP_HOST_ARGS
PrivateTmp=yes
NoNewPrivileges=yes
LKP_UNIT_EOF
    ;;
    lkp-host-renew.timer) cat <<'LKP_UNIT_EOF'
# Checks twice a day, spread over an hour so a fleet does not call the signer at once.
# A CA rotation step waits 14h for this (the signer's rotation.hostRenewalInterval: 12h + 1h
# plus a margin).
[Unit]
Description=lkp: check SSH host certificates for renewal

[Timer]
OnBootSec=15min
OnUnitActiveSec=12h
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
LKP_UNIT_EOF
    ;;
    lkp-host-krl.service) cat <<'LKP_UNIT_EOF'
# Refreshes the revocation list sshd reads at every key login (RevokedKeys,
# /etc/ssh/lkp/revoked_keys) from the signer lkp host used; when the signer cannot be
# reached or answers garbage, the last good copy stays. Started by lkp-host-krl.timer.
[Unit]
Description=lkp: refresh the SSH revocation list (KRL) from the signer
Wants=network-online.target
After=network-online.target lkp-host.service
ConditionPathExists=/usr/local/bin/lkp

[Service]
Type=oneshot
EnvironmentFile=-/etc/default/lkp
# LKP_KRL_ARGS (optional, in /etc/default/lkp): e.g. --ssh-dir, --function-name, --region.
ExecStart=/usr/local/bin/lkp host refresh-krl $LKP_KRL_ARGS
TimeoutStartSec=3min
PrivateTmp=yes
NoNewPrivileges=yes
LKP_UNIT_EOF
    ;;
    lkp-host-krl.timer) cat <<'LKP_UNIT_EOF'
# Revocations reach this host within minutes: every 5 minutes plus up to 2 of random delay
# (drawn anew each time), so a fleet does not call the signer at once. Separate from
# lkp-host-renew.timer (twice a day, certificates).
[Unit]
Description=lkp: refresh the SSH revocation list every few minutes

[Timer]
OnBootSec=2min
OnUnitActiveSec=5min
RandomizedDelaySec=2min
AccuracySec=15s

[Install]
WantedBy=timers.target
LKP_UNIT_EOF
    ;;
  esac
}
if [ -n "$LKP_ROOT" ] || { command -v systemctl >/dev/null 2>&1 && [ -d /etc/systemd/system ]; }; then
  mkdir -p "$units"
  for u in lkp-host-renew.service lkp-host-renew.timer lkp-host-krl.service lkp-host-krl.timer; do
    if [ -f "$share/$u" ]; then cp "$share/$u" "$units/$u"; else unit "$u" > "$units/$u"; fi
    chmod 0644 "$units/$u"
  done
  if [ -z "$LKP_ROOT" ]; then
    systemctl daemon-reload
    systemctl enable --now lkp-host-renew.timer lkp-host-krl.timer
  else
    mkdir -p "$units/timers.target.wants"
    for t in lkp-host-renew.timer lkp-host-krl.timer; do ln -sf "/etc/systemd/system/$t" "$units/timers.target.wants/$t"; done
  fi
fi
