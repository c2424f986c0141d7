// Starts a throwaway single-node Elasticsearch from the integ-test-zip on Maven
// Central, so tests need nothing but a JDK and network access to a registry.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { appendFile, chmod, cp, mkdir, readdir, rename, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";

export interface StartOptions {
  version?: string;
  port?: number;
  cacheDir?: string;
  heap?: string;
  log?: (line: string) => void;
  /**
   * Turns security on (HTTP without TLS) with file-realm users and roles; off by default. This distribution lacks
   * the modules the `.security` index needs, so users and roles must come from files, and API keys do not work.
   */
  security?: {
    users: readonly { username: string; password: string; roles: readonly string[] }[];
    /** Appended to config/roles.yml. */
    rolesYml?: string;
  };
  /** Extra node settings (`-E key=value`), e.g. tiny thread pools to provoke 429 rejections. */
  settings?: Readonly<Record<string, string>>;
}

export interface RunningElasticsearch {
  url: string;
  version: string;
  stop(): Promise<void>;
}

const MAVEN = process.env.ES_MAVEN_URL ?? "https://repo1.maven.org/maven2";
const RUN_USER = "esrun";
const HEALTH_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 15_000;
const TAIL_LINES = 40;

export async function startElasticsearch(options: StartOptions = {}): Promise<RunningElasticsearch> {
  const version = options.version ?? process.env.ES_VERSION ?? "9.3.2";
  const cacheDir = options.cacheDir ?? join(repoRoot(), ".cache", "elasticsearch");
  const log = options.log ?? (() => {});
  const heap = options.heap ?? "1g";
  const javaHome = findJavaHome(version);
  const asRoot = process.getuid?.() === 0;

  await mkdir(cacheDir, { recursive: true });
  const zip = await download(version, cacheDir, log);
  if (asRoot) ensureRunUser();
  // A checkout under /root (mode 700) is invisible to the run user, so ES then lives under /tmp.
  const workDir = asRoot && !runUserCan("-x", cacheDir) ? join(tmpdir(), "cloudflare-es-exporter-elasticsearch") : cacheDir;
  if (workDir !== cacheDir) log(`${RUN_USER} cannot enter ${cacheDir}; unpacking into ${workDir} instead`);
  await mkdir(workDir, { recursive: true, mode: 0o755 });
  await removeStaleRuns(workDir);
  const home = await unpack(zip, version, workDir, log);

  const [port, transportPort] = await freePorts(options.port ?? envPort());
  const runDir = join(workDir, `run-${process.pid}-${port}`);
  const dirs = { conf: join(runDir, "config"), data: join(runDir, "data"), logs: join(runDir, "logs"), tmp: join(runDir, "tmp") };
  await rm(runDir, { recursive: true, force: true });
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  // A private config copy keeps the shared unpacked folder pristine (ES writes its keystore there).
  await cp(join(home, "config"), dirs.conf, { recursive: true });

  const esArgs = [
    join(home, "bin", "elasticsearch"),
    "-E",
    "discovery.type=single-node",
    "-E",
    "network.host=127.0.0.1",
    "-E",
    `http.port=${port}`,
    "-E",
    `transport.port=${transportPort}`,
    "-E",
    `path.data=${dirs.data}`,
    "-E",
    `path.logs=${dirs.logs}`,
    ...(options.security
      ? ["-E", "xpack.security.enabled=true", "-E", "xpack.security.http.ssl.enabled=false", "-E", "xpack.security.transport.ssl.enabled=false"]
      : ["-E", "xpack.security.enabled=false"]),
    "-E",
    "cluster.routing.allocation.disk.threshold_enabled=false",
    "-E",
    "action.destructive_requires_name=false",
    ...Object.entries(options.settings ?? {}).flatMap(([key, value]) => ["-E", `${key}=${value}`]),
  ];
  const envVars = {
    ES_JAVA_HOME: javaHome,
    ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
    ES_PATH_CONF: dirs.conf,
    ES_TMPDIR: dirs.tmp,
  };
  if (options.security) {
    if (options.security.rolesYml) await appendFile(join(dirs.conf, "roles.yml"), `\n${options.security.rolesYml}\n`);
    // The file realm needs no running cluster: the users exist before the first request.
    for (const user of options.security.users) {
      const added = spawnSync(join(home, "bin", "elasticsearch-users"), ["useradd", user.username, "-p", user.password, "-r", user.roles.join(",")], {
        env: { ...process.env, ...envVars },
        encoding: "utf8",
      });
      if (added.status !== 0) throw new Error(`elasticsearch-users useradd ${user.username} failed: ${added.stderr || added.error?.message}`);
    }
  }
  let command: string;
  let args: string[];
  if (asRoot) {
    // ES refuses to run as root, so hand it to an unprivileged user.
    chownTree(home);
    chownTree(runDir);
    if (!runUserCan("-w", runDir))
      throw new Error(`User ${RUN_USER} cannot write to ${runDir}; make its parent folders traversable (chmod o+x) or pass another cacheDir.`);
    command = "runuser";
    args = ["-u", RUN_USER, "--", "env", ...Object.entries(envVars).map(([k, v]) => `${k}=${v}`), ...esArgs];
  } else {
    command = esArgs[0]!;
    args = esArgs.slice(1);
  }

  const env: NodeJS.ProcessEnv = { ...process.env, ...envVars };
  delete env.JAVA_HOME; // only triggers an "ignoring JAVA_HOME" warning
  log(`starting Elasticsearch ${version} on port ${port} with Java ${javaHome}`);
  // detached = own process group, so stop() can kill the launcher and the JVM it forks together.
  const child = spawn(command, args, { cwd: runDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    log(line);
  };
  readLines(child.stdout, onLine);
  readLines(child.stderr, onLine);

  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // group already gone
    }
  };
  const onExit = (): void => killGroup("SIGKILL");
  process.on("exit", onExit);
  // Neither the child nor its pipes may keep the caller alive; the exit hook kills it.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    // The launcher may exit before the JVM it forked; make sure nothing in the group survives.
    killGroup("SIGKILL");
    await groupGone(child.pid, 5000);
    process.off("exit", onExit);
    await rm(runDir, { recursive: true, force: true, maxRetries: 5 });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    const admin = options.security?.users[0];
    const auth = admin ? `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString("base64")}` : undefined;
    await waitHealthy(url, child, exited, auth);
  } catch (err) {
    const logTail = tail.length > 0 ? tail : tailOfLogFiles(dirs.logs);
    await stop();
    throw new Error(`${(err as Error).message}\n--- last ${TAIL_LINES} lines of Elasticsearch output ---\n${logTail.join("\n")}`, { cause: err });
  }
  return { url, version, stop };
}

function repoRoot(): string {
  // Works both from dist/scripts/ and from scripts/ under a TS loader.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), "..", "..");
    dir = parent;
  }
}

function envPort(): number {
  const raw = process.env.ES_PORT;
  if (raw === undefined || raw === "") return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`ES_PORT=${raw} is not a valid port`);
  return port;
}

// Returns the HTTP port (requested or free) plus a different free port for transport.
async function freePorts(http: number): Promise<[number, number]> {
  const servers = await Promise.all(
    [0, 0].map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  const [a, b] = ports as [number, number];
  return http === 0 ? [a, b] : [http, b === http ? a : b];
}

function requiredJavaMajor(esVersion: string): number {
  return Number(esVersion.split(".")[0]) >= 9 ? 21 : 17;
}

function javaMajor(home: string): number | undefined {
  try {
    const release = readFileSync(join(home, "release"), "utf8");
    const match = /^JAVA_VERSION="([^"]+)"/m.exec(release);
    if (match) return parseJavaMajor(match[1]!);
  } catch {
    // no release file: ask the binary
  }
  const result = spawnSync(join(home, "bin", "java"), ["-version"], { encoding: "utf8" });
  const match = /version "([^"]+)"/.exec(result.stderr ?? "");
  return match ? parseJavaMajor(match[1]!) : undefined;
}

function parseJavaMajor(version: string): number {
  const parts = version.split(/[._-]/).map(Number);
  return parts[0] === 1 ? parts[1]! : parts[0]!; // "1.8.0_x" means 8
}

function findJavaHome(esVersion: string): string {
  const need = requiredJavaMajor(esVersion);
  const fix = `Install JDK 21 or newer (e.g. apt-get install openjdk-21-jdk-headless) or point ES_JAVA_HOME at a JDK ${need}+.`;
  const explicit = process.env.ES_JAVA_HOME;
  if (explicit) {
    const major = javaMajor(explicit);
    if (major === undefined || major < need) {
      const what = major === undefined ? "not a usable JDK" : `Java ${major}`;
      throw new Error(`ES_JAVA_HOME=${explicit} is ${what}, but Elasticsearch ${esVersion} needs Java ${need}+. ${fix}`);
    }
    return explicit;
  }
  const javaHome = process.env.JAVA_HOME;
  if (javaHome && (javaMajor(javaHome) ?? 0) >= need) return javaHome;
  const jvmDir = "/usr/lib/jvm";
  const found = existsSync(jvmDir)
    ? readdirSyncSafe(jvmDir)
        .map((name) => join(jvmDir, name))
        .filter((home) => existsSync(join(home, "bin", "java")))
        .map((home) => ({ home, major: javaMajor(home) ?? 0 }))
        .filter((jdk) => jdk.major >= need)
        .sort((a, b) => b.major - a.major || a.home.localeCompare(b.home))
    : [];
  if (found[0]) return found[0].home;
  throw new Error(
    `No Java ${need}+ found for Elasticsearch ${esVersion} (checked ES_JAVA_HOME, JAVA_HOME${javaHome ? `=${javaHome}` : ""} and ${jvmDir}/*). ${fix}`,
  );
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

async function download(version: string, cacheDir: string, log: (line: string) => void): Promise<string> {
  const file = join(cacheDir, `elasticsearch-${version}.zip`);
  if (existsSync(file)) return file;
  const url = `${MAVEN}/org/elasticsearch/distribution/integ-test-zip/elasticsearch/${version}/elasticsearch-${version}.zip`;
  log(`downloading ${url}`);
  const expected = await expectedSha1(url, version, log);
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`Cannot download ${url}: HTTP ${response.status}. Is Elasticsearch ${version} published there?`);
  // Unique temp name so parallel first runs don't clobber each other; rename is atomic.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
  const hash = createHash("sha1");
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(temp),
    );
    // content-length counts encoded bytes, so it is only comparable without a content-encoding.
    const length = response.headers.has("content-encoding") ? bytes : Number(response.headers.get("content-length") ?? bytes);
    if (bytes !== length) throw new Error(`Truncated download of ${url}: got ${bytes} of ${length} bytes`);
    const actual = hash.digest("hex");
    if (expected !== undefined && actual !== expected) throw new Error(`Checksum mismatch for ${url}: expected sha1 ${expected}, got ${actual}`);
    log(`downloaded ${bytes} bytes, sha1 ${actual}${expected === undefined ? " (unverified)" : " (verified)"}`);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return file;
}

// The 9.x zips we use have no .sha1 next to them, so these were recorded from our first
// download (identical on repeated downloads) to at least catch a changed or tampered file.
const PINNED_SHA1: Record<string, string> = {
  "9.3.2": "7caf2fd358d67566b27cc38e09c7ac6ff0540cc4",
};

// ES_ZIP_SHA1 wins, then the published .sha1, then the pinned list; without any of them only the
// length check and unzip's per-entry CRCs protect us.
async function expectedSha1(url: string, version: string, log: (line: string) => void): Promise<string | undefined> {
  const fromEnv = process.env.ES_ZIP_SHA1;
  if (fromEnv) return fromEnv.toLowerCase();
  const response = await fetch(`${url}.sha1`);
  if (response.ok) return (await response.text()).trim().split(/\s+/)[0]!.toLowerCase();
  await response.body?.cancel();
  if (response.status !== 404) throw new Error(`Cannot fetch ${url}.sha1: HTTP ${response.status}`);
  const pinned = PINNED_SHA1[version];
  if (pinned === undefined) log(`warning: ${url}.sha1 does not exist; set ES_ZIP_SHA1 to verify the download`);
  return pinned;
}

async function unpack(zip: string, version: string, cacheDir: string, log: (line: string) => void): Promise<string> {
  const home = join(cacheDir, `elasticsearch-${version}`);
  if (existsSync(join(home, "bin", "elasticsearch"))) return home;
  log(`unpacking ${zip}`);
  const temp = join(cacheDir, `.unpack-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(temp, { recursive: true });
  try {
    const hasUnzip = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;
    const result = hasUnzip
      ? spawnSync("unzip", ["-q", zip, "-d", temp], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" })
      : spawnSync("jar", ["xf", zip], { cwd: temp, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (result.error || result.status !== 0) {
      await rm(zip, { force: true }); // a corrupt cached zip would otherwise fail every later run
      throw new Error(`Cannot unpack ${zip} with ${hasUnzip ? "unzip" : "jar"}: ${result.error?.message ?? result.stderr}`);
    }
    const unpacked = join(temp, `elasticsearch-${version}`);
    // `jar xf` drops the executable bits.
    for (const name of await readdir(join(unpacked, "bin"))) await chmod(join(unpacked, "bin", name), 0o755);
    try {
      await rename(unpacked, home);
    } catch (err) {
      // Another process finished first; its copy is as good as ours.
      if (!existsSync(join(home, "bin", "elasticsearch"))) throw err;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return home;
}

// Run folders of processes that died without stop() would otherwise pile up.
async function removeStaleRuns(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const pid = /^run-(\d+)-\d+$/.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

// Lets the orphaned JVMs be reaped, so callers really see no Java left once stop() resolves.
async function groupGone(pgid: number | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pgid !== undefined && isAlive(-pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ensureRunUser(): void {
  if (spawnSync("id", ["-u", RUN_USER], { stdio: "ignore" }).status === 0) return;
  const result = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_USER], { encoding: "utf8" });
  // A concurrent run may have created it in the meantime.
  if (result.status !== 0 && spawnSync("id", ["-u", RUN_USER], { stdio: "ignore" }).status !== 0) {
    throw new Error(`Running as root, and cannot create user ${RUN_USER} to run Elasticsearch: ${result.error?.message ?? result.stderr}`);
  }
}

function chownTree(dir: string): void {
  const result = spawnSync("chown", ["-R", `${RUN_USER}:`, dir], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`chown ${RUN_USER} ${dir} failed: ${result.error?.message ?? result.stderr}`);
}

function runUserCan(test: "-x" | "-w", path: string): boolean {
  return spawnSync("runuser", ["-u", RUN_USER, "--", "test", test, path], { stdio: "ignore" }).status === 0;
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (buffer) onLine(buffer);
  });
}

function tailOfLogFiles(logsDir: string): string[] {
  try {
    const files = readdirSync(logsDir).filter((f) => f.endsWith(".log") && !f.startsWith("gc"));
    const lines = files.flatMap((f) => readFileSync(join(logsDir, f), "utf8").split("\n"));
    return lines.slice(-TAIL_LINES);
  } catch {
    return ["(no output captured)"];
  }
}

async function waitHealthy(url: string, child: ChildProcess, exited: Promise<void>, authorization?: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`Elasticsearch exited early (code ${child.exitCode ?? child.signalCode}) before becoming healthy`);
    try {
      const response = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
        signal: AbortSignal.timeout(5000),
        ...(authorization ? { headers: { authorization } } : {}),
      });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), exited]);
  }
  throw new Error(`Elasticsearch at ${url} was not healthy after ${HEALTH_TIMEOUT_MS / 1000}s`);
}
