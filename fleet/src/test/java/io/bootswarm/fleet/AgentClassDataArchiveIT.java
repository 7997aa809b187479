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
 * agent's extracted jar, the class path layout of the image: the dynamic class-data archive is
 * written at the first normal exit and the next start loads the agent's classes from it; an archive
 * path that cannot be written does not keep the agent from starting.
 */
class AgentClassDataArchiveIT extends FleetITSupport {

    private static final String ARCHIVE_FLAG = "-XX:SharedArchiveFile=";

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
    void archiveWrittenAtExitServesTheNextStart() throws Exception {
        Path data = work.resolve("archive-data");
        Path archive = data.resolve("agent.jsa");
        Map<String, Object> props = agentProperties("archive-host", data);

        AgentProcess first = AgentProcess.start(props, jar, flags(archive), Path.of("target", "agent-archive-first.log"));
        try {
            client.awaitHostUp("archive-host", T);
        } finally {
            first.stop();
            first.kill();
        }
        assertThat(archive).as("archive written at the agent's exit").isNotEmptyFile();

        List<String> logged = new ArrayList<>(flags(archive));
        logged.add("-Xlog:class+load=info");
        Path log = Path.of("target", "agent-archive-second.log");
        AgentProcess second = AgentProcess.start(props, jar, logged, log);
        try {
            FleetClient.await(() -> Files.readString(log).contains("Started NodeAgentApplication"), T,
                    "agent started again");
            assertThat(Files.readString(log)).as("the agent's own classes from the archive")
                    .contains("io.bootswarm.agent.NodeAgentApplication source: shared objects file (top)");
        } finally {
            second.kill();
        }
    }

    @Test
    void archiveThatCannotBeWrittenOnlyWarns() throws Exception {
        Path notADirectory = Files.writeString(work.resolve("not-a-directory"), "x");
        Path data = work.resolve("unwritable-data");
        Map<String, Object> props = agentProperties("unwritable-host", data);

        AgentProcess agent = AgentProcess.start(props, jar, flags(notADirectory.resolve("agent.jsa")),
                Path.of("target", "agent-archive-unwritable.log"));
        try {
            client.awaitHostUp("unwritable-host", T);
            assertThat(agent.isAlive()).isTrue();
        } finally {
            agent.stop();
            agent.kill();
        }
        assertThat(notADirectory).hasContent("x");
    }

    /** The deployed flags, with the archive at {@code archive}. */
    private List<String> flags(Path archive) {
        assertThat(deployedFlags).as("node-agent's Jib jvmFlags").contains("-XX:+AutoCreateSharedArchive")
                .anyMatch(f -> f.startsWith(ARCHIVE_FLAG));
        return deployedFlags.stream().map(f -> f.startsWith(ARCHIVE_FLAG) ? ARCHIVE_FLAG + archive.toAbsolutePath() : f)
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
