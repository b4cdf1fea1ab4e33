#!/bin/sh
# EC2 user data: bootstrap this instance's SSH identity with lkp at first boot.
# Paste as user data (or use cloud-init.yaml). Requires the lkp binary on the AMI (see
# bake-ami.sh) or in S3, an instance profile whose role trusts only ec2.amazonaws.com,
# and lambda:InvokeFunction on the signer for that role.
set -eu

# --- settings -----------------------------------------------------------------
LKP_FUNCTION_NAME="${LKP_FUNCTION_NAME:-lkp-signer}"   # signer Lambda name or ARN
LKP_USERS="${LKP_USERS:-}"                              # logins to admit; empty = the distro login
LKP_BINARY_S3="${LKP_BINARY_S3:-}"                      # optional s3://bucket/path/lkp when not baked in
# ------------------------------------------------------------------------------

if [ ! -x /usr/local/bin/lkp ]; then
  if [ -z "$LKP_BINARY_S3" ]; then
    echo "lkp: /usr/local/bin/lkp is missing and LKP_BINARY_S3 is not set" >&2
    exit 1
  fi
  aws s3 cp "$LKP_BINARY_S3" /usr/local/bin/lkp.download
  chmod 0755 /usr/local/bin/lkp.download
  mv /usr/local/bin/lkp.download /usr/local/bin/lkp
fi

args="--function-name $LKP_FUNCTION_NAME"
[ -n "$LKP_USERS" ] && args="$args --users $LKP_USERS"
umask 022
printf 'LKP_FUNCTION_NAME=%s\nLKP_HOST_ARGS="%s"\n' "$LKP_FUNCTION_NAME" "$args" > /etc/default/lkp

# lkp validates with sshd -t, swaps by rename and rolls back on failure: a failed run
# leaves sshd exactly as it was, so logins by key keep working while you look. It retries
# an unreachable or throttled signer itself (--retry-for, jittered back-off); a refusal is final.
# shellcheck disable=SC2086
/usr/local/bin/lkp host --retry-for 5m $args || { echo "lkp host failed; see above (sshd unchanged)" >&2; exit 1; }

if command -v systemctl >/dev/null 2>&1 && [ -d /etc/systemd/system ]; then
  if [ -f /usr/local/share/lkp/lkp-host-renew.timer ]; then
    cp /usr/local/share/lkp/lkp-host-renew.service /usr/local/share/lkp/lkp-host-renew.timer /etc/systemd/system/
    systemctl daemon-reload
    systemctl enable --now lkp-host-renew.timer
  fi
fi
