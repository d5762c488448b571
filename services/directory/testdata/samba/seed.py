#!/usr/bin/python3
"""Seeds the hybridkit test domain into a Samba AD DC's sam.ldb, offline.

Run by scripts/samba-test.sh with Samba stopped (it opens sam.ldb directly, as
samba-tool -H does, so it needs no network, no bind and no ACL checks):

    seed.py --smbconf DIR/etc/smb.conf --var USER_PASSWORD=... \
        10-ous.ldif 20-users.ldif 30-groups.ldif 40-adminsdholder.ldif acl.txt

*.ldif files hold add records and "changetype: modify" records; *.txt files hold
ACL steps (see acl.txt). Values may use ${BASE_DN}, ${DNS_DOMAIN},
${UNICODEPWD:VAR} (unicodePwd of the password given as --var VAR=...) and
${SID:sAMAccountName}; an nTSecurityDescriptor value may be SDDL (domain
aliases such as DA resolve in the test domain).

Every step is idempotent: existing entries are left alone, values already
present are not added again, ACEs already in a DACL are not added twice. So
seeding an already seeded directory changes nothing.

--users N adds N more users (bulk.user00001...) for benchmarks, 200 per OU
under OU=Bulk,OU=Staff (OU=Bulk001...), all in the one transaction; one in 50
has adminCount=1 (and so gets AdminSDHolder's DACL from the sdprop step).
"""

import argparse
import base64
import re
import sys
import time

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack, ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

# Owner, group and DACL: the SACL of the objects we touch stays as it is.
SD_FLAGS_CONTROL = "sd_flags:1:7"


class Seeder:
    def __init__(self, samdb, variables):
        self.db = samdb
        self.base = str(samdb.domain_dn())
        self.dns_domain = samdb.domain_dns_name()
        self.domain_sid = security.dom_sid(samdb.get_domain_sid())
        self.vars = variables
        self.changes = 0

    # --- templates -------------------------------------------------------

    def expand(self, text):
        def repl(m):
            kind, arg = m.group(1), m.group(2)
            if kind == "BASE_DN":
                return self.base
            if kind == "DNS_DOMAIN":
                return self.dns_domain
            if kind == "UNICODEPWD":
                if arg not in self.vars:
                    raise SystemExit("seed: no --var %s given" % arg)
                pw = ('"%s"' % self.vars[arg]).encode("utf-16-le")
                return base64.b64encode(pw).decode("ascii")
            if kind == "SID":
                return self.sid_of(arg)
            raise SystemExit("seed: unknown placeholder ${%s}" % m.group(0))

        # Comment lines are left alone: they may mention placeholders.
        return "\n".join(
            line if line.lstrip().startswith("#")
            else re.sub(r"\$\{([A-Z_]+)(?::([^}]*))?\}", repl, line)
            for line in text.split("\n"))

    def sid_of(self, sam):
        res = self.db.search(
            base=self.base,
            scope=ldb.SCOPE_SUBTREE,
            expression="(sAMAccountName=%s)" % ldb.binary_encode(sam),
            attrs=["objectSid"],
        )
        if len(res) != 1:
            raise SystemExit("seed: %d objects with sAMAccountName %s" % (len(res), sam))
        return str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))

    def dn(self, rel):
        return ldb.Dn(self.db, "%s,%s" % (rel.strip(), self.base))

    # --- LDIF ------------------------------------------------------------

    def parse_sd(self, value):
        """A descriptor given as SDDL (as in an LDIF modify) or binary."""
        if value[:2] in (b"O:", b"G:", b"D:", b"S:"):
            return security.descriptor.from_sddl(value.decode("utf-8"), self.domain_sid)
        return ndr_unpack(security.descriptor, value)

    def exists(self, dn):
        try:
            self.db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["1.1"])
            return True
        except ldb.LdbError as e:
            if e.args[0] == ldb.ERR_NO_SUCH_OBJECT:
                return False
            raise

    def apply_ldif(self, text):
        # A plain Ldb parses the text: SamDB's reader would try each SDDL
        # value as binary first and log an NDR error before falling back.
        for changetype, parsed in ldb.Ldb().parse_ldif(self.expand(text)):
            msg = self.own_message(parsed)
            if changetype in (ldb.CHANGETYPE_NONE, ldb.CHANGETYPE_ADD):
                if self.exists(msg.dn):
                    continue
                self.db.add(msg)
                self.changes += 1
            elif changetype == ldb.CHANGETYPE_MODIFY:
                self.modify(msg)
            else:
                raise SystemExit("seed: unsupported changetype in record %s" % msg.dn)

    def own_message(self, parsed):
        """parsed, bound to our SamDB, with SDDL descriptors made binary."""
        msg = ldb.Message(ldb.Dn(self.db, str(parsed.dn)))
        for name in parsed.keys():
            if name.lower() == "dn":
                continue
            el = parsed[name]
            vals = [bytes(v) for v in el]
            if name.lower() == "ntsecuritydescriptor":
                vals = [ndr_pack(self.parse_sd(v)) for v in vals]
            msg[name] = ldb.MessageElement(vals, el.flags(), name)
        return msg

    def modify(self, msg):
        # Drop values an "add" would duplicate, and replacements that change
        # nothing, so that a second run is a no-op.
        names = [n for n in msg.keys() if n.lower() != "dn"]
        cur = self.db.search(base=msg.dn, scope=ldb.SCOPE_BASE, attrs=names,
                             controls=[SD_FLAGS_CONTROL])[0]
        out = ldb.Message(msg.dn)
        for name in names:
            el = msg[name]
            have = set(bytes(v) for v in cur[name]) if name in cur else set()
            if el.flags() == ldb.FLAG_MOD_ADD:
                if name.lower() == "member":
                    have = set(
                        str(ldb.Dn(self.db, v.decode())).lower().encode()
                        for v in have
                    )
                    vals = [v for v in el
                            if str(ldb.Dn(self.db, bytes(v).decode())).lower().encode() not in have]
                else:
                    vals = [v for v in el if bytes(v) not in have]
                if vals:
                    out[name] = ldb.MessageElement(vals, ldb.FLAG_MOD_ADD, name)
            elif el.flags() == ldb.FLAG_MOD_REPLACE:
                if name.lower() == "ntsecuritydescriptor" and name in cur:
                    want = self.parse_sd(bytes(el[0]))
                    now = ndr_unpack(security.descriptor, bytes(cur[name][0]))
                    if same_sd(want.as_sddl(self.domain_sid), now.as_sddl(self.domain_sid)):
                        continue
                elif set(bytes(v) for v in el) == have:
                    continue
                out[name] = el
            else:
                out[name] = el
        if len(out.keys()) > 1:  # "dn" is always there
            self.db.modify(out, controls=[SD_FLAGS_CONTROL])
            self.changes += 1

    # --- ACL steps ---------------------------------------------------------

    def read_sd(self, dn):
        res = self.db.search(base=dn, scope=ldb.SCOPE_BASE,
                             attrs=["nTSecurityDescriptor"],
                             controls=[SD_FLAGS_CONTROL])
        return ndr_unpack(security.descriptor, res[0]["nTSecurityDescriptor"][0])

    def write_sd(self, dn, sd):
        msg = ldb.Message(dn)
        msg["nTSecurityDescriptor"] = ldb.MessageElement(
            ndr_pack(sd), ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
        self.db.modify(msg, controls=[SD_FLAGS_CONTROL])
        self.changes += 1

    # Descriptors are edited as SDDL text: editing the ACE objects of Samba's
    # Python bindings in place can crash the interpreter (talloc ownership).

    def sddl_of(self, dn):
        """SDDL of owner, group and DACL (no SACL: read with SD flags 7)."""
        return self.read_sd(dn).as_sddl(self.domain_sid)

    def write_sddl(self, dn, sddl):
        self.write_sd(dn, security.descriptor.from_sddl(sddl, self.domain_sid))

    def step_protect(self, rel):
        dn = self.dn(rel)
        head, flags, aces = split_sddl(self.sddl_of(dn))
        if "P" in flags.replace("AI", "").replace("AR", ""):
            return
        self.write_sddl(dn, protected_sddl(head, flags, aces))

    def step_sdprop(self):
        head, flags, aces = split_sddl(self.sddl_of(self.dn("CN=AdminSDHolder,CN=System")))
        want = protected_sddl(head, flags, aces)
        res = self.db.search(base=self.base, scope=ldb.SCOPE_SUBTREE,
                             expression="(adminCount=1)", attrs=["1.1"])
        for m in res:
            if self.sddl_of(m.dn) != want:
                self.write_sddl(m.dn, want)

    def step_ace(self, rel, ace_sddl):
        dn = self.dn(rel)
        # Normalise the ACE through Samba's SDDL round trip before comparing.
        ace = split_sddl(security.descriptor.from_sddl(
            "D:" + ace_sddl, self.domain_sid).as_sddl(self.domain_sid))[2][0]
        head, flags, aces = split_sddl(self.sddl_of(dn))
        if ace in aces:
            return
        # Canonical place, as dsacls puts it: a deny before the explicit ACEs,
        # an allow after them. Inherited ACEs are left out: the DC recomputes
        # them.
        explicit = [a for a in aces if "ID" not in ace_flags(a)]
        if ace[1:].startswith(("D;", "OD;")):
            explicit.insert(0, ace)
        else:
            explicit.append(ace)
        self.write_sddl(dn, "%sD:%s%s" % (head, flags, "".join(explicit)))

    def apply_steps(self, text):
        for lineno, line in enumerate(self.expand(text).splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in line.split(" | ")]
            step = fields[0]
            if step == "protect" and len(fields) == 2:
                self.step_protect(fields[1])
            elif step == "sdprop" and len(fields) == 1:
                self.step_sdprop()
            elif step == "ace" and len(fields) == 3:
                self.step_ace(fields[1], fields[2])
            else:
                raise SystemExit("seed: line %d: bad step %r" % (lineno, line))

    # --- bulk users ----------------------------------------------------------

    def bulk_users(self, n):
        # 200 users per OU, as departments would hold them: Samba adds users
        # to a crowded parent more slowly (a 10,000-user OU takes twice as long).
        per_ou = 200
        top = "OU=Bulk,OU=Staff"
        if n and not self.exists(self.dn(top)):
            self.db.add({"dn": str(self.dn(top)), "objectClass": "organizationalUnit",
                         "description": "Generated users for benchmarks"})
            self.changes += 1
        for i in range(1, n + 1):
            ou = "OU=Bulk%03d,%s" % ((i - 1) // per_ou + 1, top)
            if (i - 1) % per_ou == 0 and not self.exists(self.dn(ou)):
                self.db.add({"dn": str(self.dn(ou)), "objectClass": "organizationalUnit"})
                self.changes += 1
            sam = "bulk.user%05d" % i
            msg = {
                "dn": "CN=Bulk User %05d,%s,%s" % (i, ou, self.base),
                "objectClass": "user",
                "sAMAccountName": sam,
                "userPrincipalName": "%s@%s" % (sam, self.dns_domain),
                "givenName": "Bulk",
                "sn": "User %05d" % i,
                # No password: hashing one costs milliseconds per user, and a
                # disabled account is as good for ACL audits.
                "userAccountControl": "546",
            }
            if i % 50 == 0:
                msg["adminCount"] = "1"
            try:
                self.db.add(msg)
                self.changes += 1
            except ldb.LdbError as e:
                if e.args[0] != ldb.ERR_ENTRY_ALREADY_EXISTS:
                    raise
            if i % 1000 == 0:
                print("seed: %d extra users" % i, file=sys.stderr, flush=True)


def split_sddl(sddl):
    """Splits "O:..G:..D:FLAGS(ace)(ace)" into ("O:..G:..", "FLAGS", [aces])."""
    i = sddl.index("D:")
    dacl = sddl[i + 2:]
    if "S:" in dacl:
        raise SystemExit("seed: unexpected SACL in %s" % sddl)
    j = dacl.find("(")
    flags = dacl if j < 0 else dacl[:j]
    return sddl[:i], flags, re.findall(r"\([^()]*\)", dacl)


def ace_flags(ace):
    """The flags field of an SDDL ACE as two-letter codes."""
    field = ace[1:-1].split(";")[1]
    return [field[k:k + 2] for k in range(0, len(field), 2)]


def protected_sddl(head, flags, aces):
    """Inheritance blocked, inherited ACEs kept as explicit ones."""
    out = []
    for ace in aces:
        parts = ace[1:-1].split(";")
        parts[1] = "".join(f for f in ace_flags(ace) if f != "ID")
        out.append("(%s)" % ";".join(parts))
    if "P" not in flags.replace("AI", "").replace("AR", ""):
        flags = "P" + flags
    return "%sD:%s%s" % (head, flags, "".join(out))


def same_sd(a, b):
    """Whether two SDDL descriptors hold the same owner, group, DACL flags and
    ACEs, in whatever order (the DC sorts DACLs as it stores them)."""
    ha, fa, aa = split_sddl(a)
    hb, fb, ab = split_sddl(b)
    return ha == hb and fa == fb and sorted(aa) == sorted(ab)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smbconf", required=True)
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--users", type=int, default=0, help="extra bulk users")
    p.add_argument("files", nargs="+")
    args = p.parse_args()

    variables = dict(v.split("=", 1) for v in args.var)
    lp = LoadParm()
    lp.load(args.smbconf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    seeder = Seeder(samdb, variables)

    start = time.monotonic()
    samdb.transaction_start()
    try:
        steps = [f for f in args.files if f.endswith(".txt")]
        for f in args.files:
            if f.endswith(".ldif"):
                with open(f, encoding="utf-8") as fh:
                    seeder.apply_ldif(fh.read())
            elif not f.endswith(".txt"):
                raise SystemExit("seed: %s: want .ldif or .txt" % f)
        if args.users:
            seeder.bulk_users(args.users)
        for f in steps:
            with open(f, encoding="utf-8") as fh:
                seeder.apply_steps(fh.read())
    except BaseException:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    print("seed: %d changes in %.1fs (%s)" % (seeder.changes, time.monotonic() - start,
                                            seeder.base), file=sys.stderr)


if __name__ == "__main__":
    main()
