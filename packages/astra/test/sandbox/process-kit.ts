/** Programs for the process drivers (bubblewrap, Docker): POSIX sh and Perl from the host's /usr. */
import type { SandboxDriver, SandboxProgram } from '../../src/ports/sandbox.js';
import type { NetworkTarget, SandboxKit } from './kit.js';

const sh = (script: string, ...args: string[]): SandboxProgram => ({
  kind: 'process',
  argv: ['/bin/sh', '-c', script, 'sh', ...args],
});
const perl = (script: string, ...args: string[]): SandboxProgram => ({
  kind: 'process',
  argv: ['/usr/bin/perl', '-e', script, ...args],
});

// Each attempt prints CONNECTED only if it reached a peer that answered; in a sandbox it must die.
const TCP = `use IO::Socket::INET;
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Proto => 'tcp', Timeout => 2) or die "connect: $!\\n";
print "CONNECTED\\n";`;
const UDP = `use IO::Socket::INET; use IO::Select;
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Proto => 'udp') or die "socket: $!\\n";
defined($s->send("ping")) or die "send: $!\\n";
IO::Select->new($s)->can_read(1) or die "no answer\\n";
my $got; $s->recv($got, 16); $got eq "pong" or die "no answer\\n";
print "CONNECTED\\n";`;
const RAW = `use Socket;
socket(my $s, PF_INET, SOCK_RAW, 1) or die "raw socket: $!\\n";
print "CONNECTED\\n";`;
const EGRESS = `use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Peer => $ENV{ASTRA_EGRESS_SOCKET}, Type => SOCK_STREAM) or die "egress socket: $!\\n";
my ($host) = $ARGV[0] =~ m{^https?://([^/]+)};
print $s "GET $ARGV[0] HTTP/1.1\\r\\nHost: $host\\r\\nConnection: close\\r\\n\\r\\n";
my $status = <$s>; print $status;
$status =~ m{^HTTP/1\\.[01] 2} or exit 1;`;

export function processKit(name: string, create: () => SandboxDriver | Promise<SandboxDriver>): SandboxKit {
  return {
    name,
    create,
    print: (text) => ({ kind: 'process', argv: ['/usr/bin/printf', '%s\\n', text] }),
    fail: (code) => sh(`exit ${code}`),
    echoInput: (input) => ({ kind: 'process', argv: ['/bin/cat'], stdin: input }),
    printEnv: () =>
      sh('env; for f in /proc/self/environ /proc/1/environ /proc/2/environ; do tr "\\0" "\\n" < "$f"; done'),
    readFile: (path) => ({ kind: 'process', argv: ['/bin/cat', path] }),
    listFiles: (dirs) =>
      sh(
        'for d in "$@"; do find "$d" -type f 2>/dev/null | while read -r f; do echo "$f"; cat "$f"; done; done',
        ...dirs,
      ),
    writeFile: (path, text) => sh('printf %s "$2" > "$1" && echo written', path, text),
    spin: () => sh('while :; do :; done'),
    block: () => ({ kind: 'process', argv: ['/bin/sleep', '3600'] }),
    flood: () => ({ kind: 'process', argv: ['/usr/bin/yes'] }),
    memoryBomb: () => sh('x=a; while :; do x=$x$x; done'),
    forkBomb: () => sh('f() { f | f; }; f'),
    connect: (target: NetworkTarget) =>
      target.protocol === 'raw'
        ? perl(RAW)
        : perl(target.protocol === 'tcp' ? TCP : UDP, target.host, String(target.port)),
    egressRequest: (url) => perl(EGRESS, url),
    leaveProcesses: (marker, detach) =>
      sh(
        `(sleep "$1" &); sleep "$1" & setsid sleep "$1" & nohup sleep "$1" >/dev/null 2>&1 & ${detach === 'block' ? 'exec sleep "$1"' : 'exit 0'}`,
        marker,
      ),
    omitted: {},
  };
}
