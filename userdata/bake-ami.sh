#!/bin/sh
# Golden AMI bake step: install the lkp binary and its systemd units, and remove this
# build machine's SSH host keys so every instance launched from the AMI makes its own at
# first boot (sshd-keygen / cloud-init) and gets its own certificates from lkp-host.service.
# Usage (as root, on the build instance): sh bake-ami.sh /path/to/lkp [SIGNER_FUNCTION_NAME]
set -eu
binary="${1:?usage: bake-ami.sh /path/to/lkp [signer-function-name]}"
function_name="${2:-lkp-signer}"
here="$(cd "$(dirname "$0")" && pwd)"

"$binary" --version >/dev/null   # refuse a broken binary before touching anything
install -m 0755 "$binary" /usr/local/bin/lkp
install -d -m 0755 /usr/local/share/lkp
for unit in lkp-host.service lkp-host-renew.service lkp-host-renew.timer lkp-host-krl.service lkp-host-krl.timer; do
  install -m 0644 "$here/systemd/$unit" /usr/local/share/lkp/"$unit"
  install -m 0644 "$here/systemd/$unit" /etc/systemd/system/"$unit"
done
printf 'LKP_FUNCTION_NAME=%s\nLKP_HOST_ARGS="--function-name %s"\n' "$function_name" "$function_name" > /etc/default/lkp
systemctl daemon-reload
systemctl enable lkp-host.service lkp-host-renew.timer lkp-host-krl.timer

# Anything lkp wrote on the build machine belongs to the build machine.
/usr/local/bin/lkp host --uninstall --no-reload >/dev/null 2>&1 || true
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
echo "baked: lkp $(/usr/local/bin/lkp --version) with lkp-host.service, lkp-host-renew.timer and lkp-host-krl.timer; host keys removed"
