package io.bootswarm.fleet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM flags of the agent's image (node-agent's Jib {@code jvmFlags}, read from its pom) on the
 * agent's extracted jar, the class path layout of the image: the ahead-of-time cache trained before
 * any start (as the image build trains it) serves the very first start, which loads the agent's
 * classes from it; a cache the JVM refuses (a Jib image without one, or one of another JVM or class
 * path) costs one warning line and not the start.
 */
class AgentClassDataArchiveIT extends FleetITSupport {

    private static final String CACHE_FLAG = "-XX:AOTCache=";
    private static final String NOT_MAPPED = "the JVM did not map the AOT cache";

    private Path jar;
    private List<String> deployedFlags;

    @BeforeAll
    void extractAgent() throws Exception {
        Path target = Path.of("..", "node-agent", "target");
        Path exec;
        try (Stream<Path> files = Files.list(target)) {
            exec = files.filter(f -> f.getFileName().toString().endsWith("-exec.jar")).findFirst().orElseThrow();
        }
        Path into = work.resolve("agent");
        Tools.ok(T, AgentProcess.JAVA, "-Djarmode=tools", "-jar", exec.toString(), "extract", "--destination",
                into.toString());
        jar = into.resolve(exec.getFileName());
        deployedFlags = jibJvmFlags(Path.of("..", "node-agent", "pom.xml"));
    }

    @Test
    void cacheTrainedBeforeTheFirstStartServesIt() throws Exception {
        Path cache = work.resolve("agent.aot");
        AgentProcess.trainAotCache(jar, flags(cache), cache, Path.of("target", "agent-aot-training.log"));
        assertThat(cache).as("the cache the training wrote").isNotEmptyFile();

        Path data = work.resolve("cache-data");
        List<String> logged = new ArrayList<>(flags(cache));
        logged.add("-Xlog:class+load=info");
        Path log = Path.of("target", "agent-aot-first-start.log");
        AgentProcess first = AgentProcess.start(agentProperties("cache-host", data), jar, logged, log);
        try {
            client.awaitHostUp("cache-host", T);
            assertThat(Files.readString(log)).as("the agent's own classes from the cache at its first start")
                    .contains("io.bootswarm.agent.NodeAgentApplication source: shared objects file")
                    .contains("io.bootswarm.agent.EarlyStart source: shared objects file")
                    .doesNotContain(NOT_MAPPED);
        } finally {
            first.kill();
        }
    }

    @Test
    void cacheTheJvmRefusesCostsOneLineNotTheStart() throws Exception {
        Path notACache = Files.writeString(work.resolve("not-a-cache.aot"), "x");
        Path log = Path.of("target", "agent-aot-refused.log");
        AgentProcess agent = AgentProcess.start(agentProperties("refused-host", work.resolve("refused-data")), jar,
                flags(notACache), log);
        try {
            client.awaitHostUp("refused-host", T);
            assertThat(agent.isAlive()).isTrue();
            String out = Files.readString(log);
            assertThat(out.lines().filter(l -> l.contains(NOT_MAPPED))).as("the agent's warning").hasSize(1);
            assertThat(out).as("the JVM's own aot lines").doesNotContain("[aot]");
        } finally {
            agent.kill();
        }
        assertThat(notACache).hasContent("x");
    }

    /** The deployed flags, with the cache at {@code cache}. */
    private List<String> flags(Path cache) {
        assertThat(deployedFlags).as("node-agent's Jib jvmFlags").anyMatch(f -> f.startsWith(CACHE_FLAG));
        return deployedFlags.stream().map(f -> f.startsWith(CACHE_FLAG) ? CACHE_FLAG + cache.toAbsolutePath() : f)
                .toList();
    }

    private static List<String> jibJvmFlags(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(pom.toFile());
        NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(
                "//*[local-name()='plugin'][*[local-name()='artifactId']='jib-maven-plugin']"
                        + "//*[local-name()='jvmFlags']/*[local-name()='jvmFlag']", doc, XPathConstants.NODESET);
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            flags.add(nodes.item(i).getTextContent().strip());
        }
        return flags;
    }

    private static Map<String, Object> agentProperties(String host, Path data) throws IOException {
        Map<String, Object> props = fleet.agentProperties(host, data);
        props.put("server.port", freePort());
        props.put("bootswarm.agent.nbd.port", freePort());
        return props;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
