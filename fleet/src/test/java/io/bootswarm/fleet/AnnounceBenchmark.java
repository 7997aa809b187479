package io.bootswarm.fleet;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Announce throughput of the tracker against opentracker (Debian's package, its whitelist holding the
 * benchmark's swarm, so that it answers rather than refuses), side by side in one
 * run with {@code wrk}: the stock BitTorrent announce ({@code GET /announce}, as stock clients call it)
 * and the agents' JSON announce ({@code POST /api/v1/announce}, a bearer token verified on each
 * request), each against opentracker's {@code /announce}, in alternating rounds after a round of
 * warm-up for the JIT; every request a new peer id in the swarm of an image opened to stock clients,
 * the stock announces with a viewer's passkey ({@code /announce/<passkey>}), so the passkey check and
 * the seed's "opened" answer (cached) are in the figure. Answers that are refusals (a bencoded
 * {@code failure reason} comes with status 200) are counted and shown next to the figure they are in. Not a test: the build never runs it.
 *
 * <pre>
 * apt-get install opentracker wrk
 * ./mvnw -q -pl fleet -am test-compile
 * ./mvnw -q -pl fleet dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * $JAVA_HOME/bin/java -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.AnnounceBenchmark [seconds-per-round] [rounds] [connections] [peers]
 * </pre>
 * With {@code peers} above 0 the requests re-announce peer ids drawn from that many (as agents re-announce
 * every 30 s) instead of a new peer id each (the default, 0): the swarm stays that size and the tracker
 * can hand a peer its token again.
 */
final class AnnounceBenchmark {

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern REFUSED = Pattern.compile("refused: (\\d+)");
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");

    /** One wrk run: its rate, and how many answers were refusals (a bencoded failure reason, or not 200). */
    private record Run(double rps, long refused, long requests) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int peers = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        Path work = Files.createTempDirectory("bootswarm-announce-bench");
        int otPort;
        try (ServerSocket s = new ServerSocket(0)) {
            otPort = s.getLocalPort();
        }
        Process opentracker = null;
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            String token = fleet.auth().hostToken("bench-host");
            String swarm = openedSwarm(fleet, work);
            // Debian builds opentracker with an access whitelist (WANT_ACCESSLIST_WHITE): any info hash not in
            // it is answered "Requested download is not authorized", which is all an unlisted run measures.
            Path whitelist = Files.writeString(work.resolve("ot-whitelist.txt"), swarm + "\n");
            opentracker = new ProcessBuilder("opentracker", "-i", "127.0.0.1", "-p", String.valueOf(otPort),
                    "-P", String.valueOf(otPort), "-w", whitelist.toString()).directory(work.toFile())
                    .redirectErrorStream(true).redirectOutput(work.resolve("ot.log").toFile()).start();
            probeOpentracker("http://127.0.0.1:" + otPort + "/announce?info_hash=" + swarm.replaceAll("(..)", "%$1")
                    + "&peer_id=-XX0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1");
            String passkey = passkey(fleet);
            Path stock = lua(work.resolve("stock.lua"), stockScript("/announce/" + passkey, swarm, peers));
            Path opentrackerScript = lua(work.resolve("ot.lua"), stockScript("/announce", swarm, peers));
            Path json = lua(work.resolve("json.lua"), jsonScript(token, swarm, peers));
            probe(fleet.trackerUrl() + "/announce/" + passkey + "?info_hash=" + swarm.replaceAll("(..)", "%$1")
                    + "&peer_id=-XX0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1");
            wrk(fleet.trackerUrl(), stock, seconds, connections);
            wrk(fleet.trackerUrl(), json, seconds, connections);
            Map<String, List<Double>> rps = new LinkedHashMap<>();
            Map<String, long[]> refused = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                record(rps, refused, "opentracker GET /announce", wrk("http://127.0.0.1:" + otPort, opentrackerScript, seconds, connections));
                record(rps, refused, "tracker GET /announce", wrk(fleet.trackerUrl(), stock, seconds, connections));
                record(rps, refused, "tracker POST /api/v1/announce (JWT)", wrk(fleet.trackerUrl(), json, seconds, connections));
            }
            double ot = median(rps.get("opentracker GET /announce"));
            System.out.printf("%nannounce throughput, %d rounds of %d s, %d connections, %s, medians:%n", rounds, seconds,
                    connections, peers == 0 ? "a new peer id per request" : "peer ids drawn from " + peers);
            rps.forEach((name, values) -> System.out.printf("  %-40s %10.0f req/s  %5.2f× opentracker  (rounds %s)%s%n",
                    name, median(values), median(values) / ot, values, refused.get(name)[0] == 0 ? ""
                            : "  REFUSED " + refused.get(name)[0] + " of " + refused.get(name)[1] + " answers"));
        } finally {
            if (opentracker != null) {
                opentracker.destroy();
            }
        }
    }

    /** The swarm id of a small image an admin opened to stock clients, so that stock announces are answered. */
    private static String openedSwarm(LocalFleet fleet, Path work) throws Exception {
        var image = fleet.client().uploadImage("announce-bench", Tools.image(work.resolve("bench.img"), 1 << 20, 3));
        var http = java.net.http.HttpClient.newHttpClient();
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fleet.seedUrl() + "/api/v1/images/"
                        + image.get("id").asString() + "/stock-clients"))
                .header("Authorization", "Bearer " + fleet.auth().token("admin"))
                .header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"open\":true}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("opening the image: HTTP " + r.statusCode() + " " + r.body());
        }
        return image.get("swarmId").asString();
    }

    /** A viewer's passkey, as a user gets it. */
    private static String passkey(LocalFleet fleet) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(fleet.trackerUrl() + "/api/v1/passkeys"))
                .header("Authorization", "Bearer " + fleet.auth().token("viewer"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("passkey: HTTP " + r.statusCode() + " " + r.body());
        }
        return tools.jackson.databind.json.JsonMapper.builder().build().readTree(r.body()).get("passkey").asString();
    }

    /** One announce before the rounds, so that a refused request shows why. */
    private static void probe(String url) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || r.body().contains("failure reason")) {
            throw new IllegalStateException(url + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    /** {@link #probe} once opentracker listens (it starts in milliseconds; a few tries at most). */
    private static void probeOpentracker(String url) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                probe(url);
                return;
            } catch (java.net.ConnectException e) {
                if (attempt == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void record(Map<String, List<Double>> rps, Map<String, long[]> refused, String name, Run run) {
        rps.computeIfAbsent(name, k -> new ArrayList<>()).add(run.rps());
        long[] r = refused.computeIfAbsent(name, k -> new long[2]);
        r[0] += run.refused();
        r[1] += run.requests();
    }

    private static Run wrk(String base, Path script, int seconds, int connections) throws Exception {
        Tools.Result r = Tools.run(Duration.ofSeconds(seconds + 60), "wrk", "-t2", "-c" + connections,
                "-d" + seconds + "s", "-s", script.toString(), base);
        Matcher m = RPS.matcher(r.output());
        if (r.exit() != 0 || !m.find()) {
            throw new IllegalStateException("wrk failed: " + r.output());
        }
        Matcher bad = NON_2XX.matcher(r.output());
        if (bad.find()) {
            throw new IllegalStateException(base + ": " + bad.group(1) + " requests failed: " + r.output());
        }
        Matcher refused = REFUSED.matcher(r.output());
        Matcher requests = REQUESTS.matcher(r.output());
        return new Run(Double.parseDouble(m.group(1)), refused.find() ? Long.parseLong(refused.group(1)) : 0,
                requests.find() ? Long.parseLong(requests.group(1)) : 0);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static Path lua(Path file, String script) throws Exception {
        Files.writeString(file, script);
        return file;
    }

    private static final String RANDOM = """
            math.randomseed(os.time())
            local function bytes20(fmt)
              local t = {}
              for i = 1, 20 do t[i] = string.format(fmt, math.random(0, 255)) end
              return table.concat(t)
            end
            local function urlencode(hex)
              return (hex:gsub("..", function(b) return "%" .. b end))
            end
            local shown = false
            refused = 0
            response = function(status, headers, body)
              if status ~= 200 or string.find(body, "failure reason", 1, true) then
                refused = refused + 1
                if not shown then
                  shown = true
                  print("first refused request: HTTP " .. status .. " " .. body)
                end
              end
            end
            local threads = {}
            setup = function(thread)
              table.insert(threads, thread)
            end
            done = function(summary, latency, requests)
              local n = 0
              for _, t in ipairs(threads) do n = n + (t:get("refused") or 0) end
              print("refused: " .. n)
            end
            """;

    /** Lua: {@code peerhex()}, a new random peer id, or one of {@code peers} when that is above 0. */
    private static String peerIds(int peers) {
        return """
                local pool = %d
                local function peerhex()
                  if pool == 0 then return bytes20("%%02x") end
                  return string.format("%%040x", math.random(1, pool))
                end
                """.formatted(peers);
    }

    /** GET announces in {@code swarm}, a new peer id each or one of {@code peers} (BEP 3 query, compact answer). */
    static String stockScript(String path, String swarm, int peers) {
        return RANDOM + peerIds(peers) + """
                request = function()
                  local p = "%s?info_hash=" .. urlencode("%s") .. "&peer_id=" .. urlencode(peerhex())
                    .. "&port=6881&uploaded=0&downloaded=0&left=0&compact=1&numwant=50&event=started"
                  return wrk.format("GET", p)
                end
                """.formatted(path, swarm);
    }

    /** JSON announces in {@code swarm}, a new peer id each or one of {@code peers}, with the agent's bearer token. */
    static String jsonScript(String token, String swarm, int peers) {
        return RANDOM + peerIds(peers) + """
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "application/json"
                wrk.headers["Authorization"] = "Bearer %s"
                request = function()
                  local body = '{"swarmId":"%s","peerId":"' .. peerhex()
                    .. '","host":"127.0.0.1","port":6881,"left":0,"uploaded":0,"downloaded":0,"event":"started","numWant":50}'
                  return wrk.format("POST", "/api/v1/announce", nil, body)
                end
                """.formatted(token, swarm);
    }
}
