#!/usr/bin/env bash
# samba-test.sh start [--fresh] [--users N] | stop | env | status | bench [--runs N]
#
# A throwaway Samba Active Directory domain controller for the directory
# service's tests, from Debian's packages (samba samba-ad-dc winbind krb5-user
# ldap-utils, installed when missing and run as root). Realm HYBRID.TEST,
# domain HYBRID, DC dc1.hybrid.test, LDAP and LDAPS on one loopback address
# only (127.0.0.2 unless HYBRIDKIT_SAMBA_ADDR says otherwise), with a test CA
# and server certificate of its own. For local test use, never anything else:
# the passwords below are in this file.
#
#   scripts/samba-test.sh start            # provision (cached), seed, start
#   eval "$(scripts/samba-test.sh env)"
#   (cd services/directory && go test ./...)
#   scripts/samba-test.sh stop
#
# start provisions the domain once and seeds it from
# services/directory/testdata/samba (OUs, users, nested groups, connector
# accounts, AdminSDHolder-protected accounts and Entra Connect's writeback
# grants on OU=Staff; see its README.md), then keeps the result in
# $HYBRIDKIT_SAMBA_DIR/cache. Every start begins from that pristine copy, so
# tests that write ACLs cannot leak into the next run. --fresh provisions again
# instead of using the cache; --users N adds N generated users (OU=Bulk,OU=Staff)
# for benchmarks (cached separately per N).
#
# bench times ldapsearch reading sAMAccountName, adminCount and the DACL of
# every user (paged, SD flags 4), the yardstick for the directory benchmarks.
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly SEED_DIR="$ROOT/services/directory/testdata/samba"
readonly DIR="${HYBRIDKIT_SAMBA_DIR:-/tmp/hybridkit-samba}"
readonly ADDR="${HYBRIDKIT_SAMBA_ADDR:-127.0.0.2}"
readonly DC="$DIR/dc"             # the running instance
readonly CACHE="$DIR/cache"       # provisioned and seeded copies, by key
readonly TLS="$DIR/tls"           # the test CA and the DC's certificate
readonly STATE="$DIR/running.env" # what start started, for env and status
readonly LOG="$DIR/samba.log"

readonly REALM=HYBRID.TEST
readonly DOMAIN=HYBRID
readonly DNS_DOMAIN=hybrid.test
readonly HOST=DC1
readonly FQDN=dc1.$DNS_DOMAIN
readonly BASE_DN="DC=hybrid,DC=test"
# Fixed, so that captured descriptors and RIDs are the same on every machine.
readonly DOMAIN_SID=S-1-5-21-2914541329-1306453702-1592347412
readonly ADMIN_DN="CN=Administrator,CN=Users,$BASE_DN"
readonly ADMIN_PASSWORD='Hybr1d.Admin-Test'
readonly USER_PASSWORD='Hybr1d.User-Test'
readonly CONNECTOR_DN="CN=MSOL_0123456789ab,CN=Users,$BASE_DN"
readonly CONNECTOR_PASSWORD='Hybr1d.Msol-Test'
readonly CUSTOM_CONNECTOR_DN="CN=svc-aadconnect,OU=Service Accounts,$BASE_DN"
readonly CUSTOM_CONNECTOR_PASSWORD='Hybr1d.Svc-Test'
readonly GRANTED_OU="OU=Staff,$BASE_DN"
# Samba's Python modules live in Debian's python3, whatever else is on PATH.
readonly PYTHON=/usr/bin/python3
readonly PACKAGES=(samba samba-ad-dc winbind krb5-user ldap-utils openssl)

die() {
	echo "samba-test: $*" >&2
	exit 1
}

say() { echo "samba-test: $*" >&2; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

ensure_packages() {
	local missing=()
	command -v samba >/dev/null || missing+=(samba samba-ad-dc winbind)
	command -v samba-tool >/dev/null || missing+=(samba-ad-dc)
	"$PYTHON" -c 'import samba.samdb' 2>/dev/null || missing+=(python3-samba)
	command -v ldapsearch >/dev/null || missing+=(ldap-utils)
	command -v kinit >/dev/null || missing+=(krb5-user)
	command -v openssl >/dev/null || missing+=(openssl)
	[[ ${#missing[@]} -eq 0 ]] && return 0
	[[ "$(id -u)" -eq 0 ]] || die "install ${PACKAGES[*]} (Debian packages) first, or run as root"
	say "installing ${PACKAGES[*]}"
	if [[ ! -f /tmp/.hybridkit-apt-updated ]]; then
		apt-get update -qq && touch /tmp/.hybridkit-apt-updated
	fi
	# krb5-user asks for a default realm: take Debian's default, the DC's own
	# krb5.conf is not needed by the tests.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
	# The package starts its own services on a fresh machine; they would hold
	# nothing of ours, but stop them so that only the test DC listens.
	systemctl disable --now samba-ad-dc smbd nmbd winbind >/dev/null 2>&1 || true
}

pid_of_running() {
	local pid
	[[ -f "$DIR/samba.pid" ]] || return 1
	pid="$(cat "$DIR/samba.pid")"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	# Not some other process that got the pid since (samba rewrites its
	# command line, so look at the executable).
	[[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */samba ]] || return 1
	echo "$pid"
}

# cache_key names a provisioned and seeded domain: it changes when the seed
# data, this script, the address, the bulk user count or Samba change.
cache_key() {
	local users="$1"
	{
		cat "$0" "$SEED_DIR"/*.ldif "$SEED_DIR"/*.txt "$SEED_DIR"/seed.py
		echo "$ADDR $users $(samba --version)"
	} | sha256sum | cut -c1-16
}

make_tls() {
	if [[ -f "$TLS/server.pem" ]] && openssl x509 -in "$TLS/server.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
		openssl x509 -in "$TLS/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$ADDR\$\|IP Address:$ADDR,"; then
		return 0
	fi
	rm -rf "$TLS"
	mkdir -p "$TLS"
	chmod 0700 "$TLS"
	# Samba's own certificate has a negative serial number, which Go's
	# crypto/x509 refuses: make a CA and a server certificate with positive
	# serials instead.
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
		-subj "/O=hybridkit tests/CN=hybridkit test CA" -set_serial "0x$(openssl rand -hex 8 | sed 's/^./1/')" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$TLS/server.key" -out "$TLS/server.csr" \
		-subj "/O=hybridkit tests/CN=$FQDN" 2>/dev/null
	cat >"$TLS/server.ext" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:$FQDN,DNS:$HOST,DNS:localhost,IP:$ADDR
	EOF
	openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -days 3650 \
		-set_serial "0x$(openssl rand -hex 8 | sed 's/^./1/')" -extfile "$TLS/server.ext" -out "$TLS/server.pem" 2>/dev/null
	chmod 0600 "$TLS"/*.key
	rm -f "$TLS/server.csr"
}

# provision makes a domain in $DC, stopped, and seeds it.
provision() {
	local users="$1" t
	rm -rf "$DC"
	mkdir -p "$DC"
	t="$(now)"
	samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
		--dns-backend=NONE --use-rfc2307 --host-name="$HOST" --host-ip="$ADDR" \
		--domain-sid="$DOMAIN_SID" --adminpass="$ADMIN_PASSWORD" --targetdir="$DC" \
		--option="interfaces=$ADDR/8" --option="bind interfaces only=yes" \
		--option="server services=ldap,cldap,kdc" >"$DIR/provision.log" 2>&1 ||
		die "provision failed; see $DIR/provision.log"
	# Settings provision does not write: our own pid directory (two instances
	# would share /run/samba), logs, and the test certificate. And SASL binds
	# without signing over TLS, which AD accepts (and Samba's default refuses):
	# the NTLM bind tests need it. Simple binds in clear stay refused.
	sed -i "/^\[global\]/a\\
	ldap server require strong auth = allow_sasl_over_tls\\
	pid directory = $DC/pid\\
	log file = $DC/log/samba.log\\
	log level = 1\\
	tls enabled = yes\\
	tls keyfile = $TLS/server.key\\
	tls certfile = $TLS/server.pem\\
	tls cafile = $TLS/ca.pem" "$DC/etc/smb.conf"
	mkdir -p "$DC/pid" "$DC/log"
	say "provisioned $REALM in $(since "$t")"

	t="$(now)"
	(cd "$SEED_DIR" && "$PYTHON" seed.py --smbconf "$DC/etc/smb.conf" --users "$users" \
		--var USER_PASSWORD="$USER_PASSWORD" \
		--var CONNECTOR_PASSWORD="$CONNECTOR_PASSWORD" \
		--var CUSTOM_CONNECTOR_PASSWORD="$CUSTOM_CONNECTOR_PASSWORD" \
		10-ous.ldif 20-users.ldif 30-groups.ldif 40-adminsdholder.ldif acl.txt) 2>>"$DIR/provision.log" ||
		die "seeding failed; see $DIR/provision.log"
	say "seeded$([[ "$users" -gt 0 ]] && echo " with $users extra users") in $(since "$t")"
}

wait_ldaps() {
	local pid="$1" i
	for i in $(seq 1 600); do
		if LDAPTLS_CACERT="$TLS/ca.pem" LDAPTLS_REQCERT=demand ldapsearch -LLL -x -o nettimeout=2 \
			-H "ldaps://$ADDR:636" -s base -b '' defaultNamingContext >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "samba exited; see $LOG and $DC/log/samba.log"
		sleep 0.1
	done
	die "LDAPS did not answer on $ADDR:636 within 60s; see $LOG"
}

cmd_start() {
	local fresh=0 users=0 key t0 pid
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--fresh) fresh=1 ;;
		--users)
			[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--users needs a number"
			users="$2"
			shift
			;;
		--users=*)
			users="${1#--users=}"
			[[ "$users" =~ ^[0-9]+$ ]] || die "--users needs a number"
			;;
		*) die "start: unknown option $1" ;;
		esac
		shift
	done
	[[ "$(id -u)" -eq 0 ]] || die "start must run as root (Samba's AD DC binds ports 389 and 636)"
	t0="$(now)"
	ensure_packages
	mkdir -p "$DIR" "$CACHE"
	chmod 0700 "$DIR"
	key="$(cache_key "$users")"

	if pid="$(pid_of_running)"; then
		if [[ "$fresh" -eq 0 && -f "$STATE" ]] && grep -qx "HYBRIDKIT_SAMBA_KEY=$key" "$STATE"; then
			say "already running on $ADDR (pid $pid)"
			return 0
		fi
		cmd_stop
	fi

	make_tls
	if [[ "$fresh" -eq 0 && -f "$CACHE/$key.tar" ]]; then
		rm -rf "$DC"
		tar -C "$DIR" -xf "$CACHE/$key.tar"
		say "restored the provisioned domain from $CACHE/$key.tar"
	else
		provision "$users"
		tar -C "$DIR" --exclude=dc/msg.sock -cf "$CACHE/$key.tar.tmp" dc
		mv "$CACHE/$key.tar.tmp" "$CACHE/$key.tar"
		# Older keys are stale seeds or other --users counts: keep the last few.
		ls -t "$CACHE"/*.tar 2>/dev/null | tail -n +5 | xargs -r rm -f
	fi

	# Not a child of this shell's job control, and no terminal: it outlives
	# the script. The pid is samba's root process; stop sends it SIGTERM.
	setsid samba -s "$DC/etc/smb.conf" --foreground --no-process-group </dev/null >"$LOG" 2>&1 &
	pid=$!
	echo "$pid" >"$DIR/samba.pid"
	wait_ldaps "$pid"
	cat >"$STATE" <<-EOF
		HYBRIDKIT_SAMBA_KEY=$key
		HYBRIDKIT_SAMBA_USERS=$users
	EOF
	say "Samba $(samba --version | awk '{print $2}') AD DC ready on ldaps://$ADDR:636 in $(since "$t0") (pid $pid, $DC)"
}

cmd_stop() {
	local pid i
	if pid="$(pid_of_running)"; then
		# samba runs in a process group of its own (setsid in cmd_start):
		# wait until every one of its processes has gone, not just the root.
		kill -TERM "$pid"
		for i in $(seq 1 150); do
			kill -0 -- "-$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 -- "-$pid" 2>/dev/null; then
			say "samba (pid $pid) did not stop in 15s; killing its process group"
			kill -KILL -- "-$pid" 2>/dev/null || true
			for i in $(seq 1 50); do
				kill -0 -- "-$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		say "stopped (pid $pid)"
	fi
	rm -rf "$DC" "$DIR/samba.pid" "$STATE"
}

cmd_status() {
	local pid
	if pid="$(pid_of_running)"; then
		echo "running: ldaps://$ADDR:636 (pid $pid, $(grep HYBRIDKIT_SAMBA_USERS "$STATE" 2>/dev/null | cut -d= -f2) extra users)"
	else
		echo "not running"
		return 1
	fi
}

# export_line prints NAME='VALUE' quoted for sh (a ' inside becomes '\'').
export_line() { printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }

cmd_env() {
	local users=0
	[[ -f "$STATE" ]] && users="$(sed -n 's/^HYBRIDKIT_SAMBA_USERS=//p' "$STATE")"
	export_line HYBRIDKIT_TEST_LDAP_URL "ldaps://$ADDR:636"
	export_line HYBRIDKIT_TEST_LDAP_STARTTLS_URL "ldap://$ADDR:389"
	export_line HYBRIDKIT_TEST_LDAP_CA "$TLS/ca.pem"
	export_line HYBRIDKIT_TEST_LDAP_SERVER_NAME "$FQDN"
	export_line HYBRIDKIT_TEST_LDAP_BIND_DN "$ADMIN_DN"
	export_line HYBRIDKIT_TEST_LDAP_PASSWORD "$ADMIN_PASSWORD"
	export_line HYBRIDKIT_TEST_LDAP_DOMAIN "$DOMAIN"
	export_line HYBRIDKIT_TEST_LDAP_REALM "$REALM"
	export_line HYBRIDKIT_TEST_LDAP_BASE_DN "$BASE_DN"
	export_line HYBRIDKIT_TEST_LDAP_DOMAIN_SID "$DOMAIN_SID"
	export_line HYBRIDKIT_TEST_LDAP_CONNECTOR_DN "$CONNECTOR_DN"
	export_line HYBRIDKIT_TEST_LDAP_CONNECTOR_PASSWORD "$CONNECTOR_PASSWORD"
	export_line HYBRIDKIT_TEST_LDAP_CUSTOM_CONNECTOR_DN "$CUSTOM_CONNECTOR_DN"
	export_line HYBRIDKIT_TEST_LDAP_CUSTOM_CONNECTOR_PASSWORD "$CUSTOM_CONNECTOR_PASSWORD"
	export_line HYBRIDKIT_TEST_LDAP_USER_PASSWORD "$USER_PASSWORD"
	export_line HYBRIDKIT_TEST_LDAP_GRANTED_OU "$GRANTED_OU"
	export_line HYBRIDKIT_TEST_LDAP_EXTRA_USERS "${users:-0}"
}

cmd_bench() {
	local runs=5 i t best="" times=() n
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--runs)
			runs="$2"
			shift
			;;
		*) die "bench: unknown option $1" ;;
		esac
		shift
	done
	pid_of_running >/dev/null || die "not running; start it first"
	for i in $(seq 1 "$runs"); do
		t="$(now)"
		# SD flags 4 (DACL only): MAMCAQQ= is the BER of SEQUENCE { INTEGER 4 }.
		n="$(LDAPTLS_CACERT="$TLS/ca.pem" ldapsearch -LLL -x -H "ldaps://$ADDR:636" \
			-D "$ADMIN_DN" -w "$ADMIN_PASSWORD" -b "$BASE_DN" \
			-E pr=500/noprompt -E '!1.2.840.113556.1.4.801=::MAMCAQQ=' \
			'(&(objectCategory=person)(objectClass=user))' sAMAccountName adminCount nTSecurityDescriptor |
			grep -c '^dn:')"
		times+=("$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')")
	done
	best="$(printf '%s\n' "${times[@]}" | sort -n | head -1)"
	echo "ldapsearch: $n users with sAMAccountName, adminCount, nTSecurityDescriptor (SD flags 4, pages of 500): best ${best}s of $runs runs (${times[*]})"
}

case "${1:-}" in
start)
	shift
	cmd_start "$@"
	;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
bench)
	shift
	cmd_bench "$@"
	;;
*)
	echo "usage: $0 start [--fresh] [--users N] | stop | env | status | bench [--runs N]" >&2
	exit 2
	;;
esac
