#!/bin/sh -e
# usage: raspi-apt.sh PACKAGE...   (an argument holding several words is split, so a var can carry a list)
# env RASPI_APT_INITRAMFS=no: packages that merely trigger an initramfs update (open-iscsi's hook,
#   say) do not regenerate it now: that is minutes under qemu-user, and the hook is not needed to
#   boot from the SD card. The next kernel or initramfs update on the device includes it.
#
# apt-get install for the raspi stalks: no recommends, .debs kept in the named "apt" cache that the
# calling stalk mounts at /var/cache/apt/archives (so a rebuild downloads nothing it already has).
# Package lists come from the base node and are removed by cleanup; when they are missing or stale
# (a 404 after the archive moved on), they are refreshed and the install retried once.
export DEBIAN_FRONTEND=noninteractive
pkgs=$(echo "$@")
if [ -z "$pkgs" ]; then echo "raspi-apt: nothing to install"; exit 0; fi
mkdir -p /var/cache/apt/archives/partial

# Two shims that live only for this step (removed on exit, so never committed):
# - ischroot: raspi-firmware's kernel/initramfs hooks refuse to run unless /boot/firmware is a mount
#   point, the system is a chroot or a VM; a build container is none of those to them, so it says "chroot".
# - policy-rc.d: no service is started while packages are installed in a build container.
cat > /usr/local/sbin/ischroot <<'SHIM'
#!/bin/sh
exit 0
SHIM
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/local/sbin/ischroot /usr/sbin/policy-rc.d
conf=/etc/initramfs-tools/update-initramfs.conf
if [ "${RASPI_APT_INITRAMFS:-yes}" = no ] && [ -f $conf ]; then
  sed -i 's/^update_initramfs=.*/update_initramfs=no/' $conf
  trap 'rm -f /usr/local/sbin/ischroot /usr/sbin/policy-rc.d; sed -i "s/^update_initramfs=.*/update_initramfs=yes/" $conf' EXIT
else
  trap 'rm -f /usr/local/sbin/ischroot /usr/sbin/policy-rc.d' EXIT
fi

# apt hands dpkg its own PATH (DPkg::Path, without /usr/local): give it one that finds the shim.
dpkg_path="-oDPkg::Path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then apt-get update -q; fi
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends "$dpkg_path" $pkgs; then
  echo "raspi-apt: install failed; refreshing package lists and retrying once"
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends "$dpkg_path" $pkgs
fi
echo "raspi-apt: installed $pkgs"
