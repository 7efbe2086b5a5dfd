#!/bin/sh -e
# Vars arrive as environment variables (declared in raspi-system.hjson).

# The image writer writes /etc/hostname and /etc/hosts again from its own option; keep them equal.
echo "$hostname" > /etc/hostname

test -f "/usr/share/zoneinfo/$timezone" || { echo "unknown timezone: $timezone"; exit 1; }
ln -sf "/usr/share/zoneinfo/$timezone" /etc/localtime
echo "$timezone" > /etc/timezone

if [ "$locale" = C.UTF-8 ] || [ "$locale" = C ] || [ "$locale" = POSIX ]; then
  : > /etc/locale.gen # built into libc: nothing to generate
else
  grep -m1 "^$locale " /usr/share/i18n/SUPPORTED > /etc/locale.gen || { echo "unknown locale: $locale (see /usr/share/i18n/SUPPORTED)"; exit 1; }
  locale-gen
fi
update-locale "LANG=$locale"

# root: a password only when a hash is given; otherwise locked (ssh keys from raspi-rootssh)
usermod -p "${root_password_hash:-!}" root

if [ -n "$user_name" ]; then
  id "$user_name" >/dev/null 2>&1 || useradd -m -s /bin/bash -U "$user_name"
  [ -z "$user_groups" ] || usermod -a -G "$user_groups" "$user_name"
  usermod -p "${user_password_hash:-!}" "$user_name"
  if [ "$user_sudo" = yes ]; then
    if [ -n "$user_password_hash" ]; then rule="ALL=(ALL:ALL) ALL"; else rule="ALL=(ALL:ALL) NOPASSWD: ALL"; fi
    echo "$user_name $rule" > "/etc/sudoers.d/stalker-$user_name"
    chmod 440 "/etc/sudoers.d/stalker-$user_name"
    visudo -cf "/etc/sudoers.d/stalker-$user_name"
  fi
fi

systemctl enable systemd-networkd systemd-resolved systemd-timesyncd
# not needed on a headless appliance; wait-online would only delay boot when the cable is out
systemctl disable systemd-networkd-wait-online.service 2>/dev/null || true
systemctl mask systemd-networkd-wait-online.service
# Wi-Fi is the net agent's (Sysdb's Wifi table, stalker-wpa@IFACE.service): Debian's D-Bus
# wpa_supplicant.service (NetworkManager's) would only sit in memory on every board
if [ -e /usr/lib/systemd/system/wpa_supplicant.service ] || [ -e /lib/systemd/system/wpa_supplicant.service ]; then
  systemctl disable wpa_supplicant.service 2>/dev/null || true
  systemctl mask wpa_supplicant.service
fi
