package io.bootswarm.fleet;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module boundaries, checked on the main classes of every module (tests are left out).
 *
 * <p>It lives in fleet because fleet is the one module that already has every service, the agent
 * and (through infra) the auth server on its class path; bench's classes are added to its test
 * class path only, without bench's dependencies. Put in bench, the test would have made bench
 * depend on every service.
 *
 * <ul>
 *   <li>A service never uses another service's classes: what two services share is in
 *       {@code common} (events, wire, clients' plumbing), and each reads another's JSON with its
 *       own types. The services are the tracker, seed, profile and allocator services, the node
 *       agent and the auth server.</li>
 *   <li>bench uses of the agent only what the agent exposes to it: the {@code picker} package and
 *       the parts the harness assembles an agent from ({@link #AGENT_API}, with their nested
 *       types). Anything else in {@code io.bootswarm.agent} is the agent's to change.</li>
 * </ul>
 */
@AnalyzeClasses(packages = "io.bootswarm", importOptions = ImportOption.DoNotIncludeTests.class)
class ModuleBoundariesTest {

    /** Each service's root package under {@code io.bootswarm}. */
    static final List<String> SERVICES = List.of("tracker", "seed", "profile", "allocator", "agent", "auth");

    /** The agent's package that bench may use as a whole. */
    static final String AGENT_PICKER = "io.bootswarm.agent.picker";

    /**
     * The agent's types that bench may use besides the picker: the harness builds an agent in
     * process from its piece store, swarm manager and session (with a fixed tracker answer and
     * peer list), a prefetcher and the virtual disk the VM's reads go through, and reads the
     * disk's demand figures; the seed-referral settings its swarm manager is started with.
     */
    static final Set<String> AGENT_API = Set.of(
            "io.bootswarm.agent.disk.DemandStats",
            "io.bootswarm.agent.disk.PieceStore",
            "io.bootswarm.agent.disk.VirtualDisk",
            "io.bootswarm.agent.swarm.Announcer",
            "io.bootswarm.agent.swarm.Peer",
            "io.bootswarm.agent.swarm.Prefetcher",
            "io.bootswarm.agent.swarm.ReferralSettings",
            "io.bootswarm.agent.swarm.SwarmManager",
            "io.bootswarm.agent.swarm.SwarmSession",
            "io.bootswarm.agent.swarm.SwarmSettings");

    private static final SliceAssignment BY_SERVICE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            return serviceOf(c.getPackageName()).map(SliceIdentifier::of).orElse(SliceIdentifier.ignore());
        }

        @Override
        public String getDescription() {
            return "services by root package " + SERVICES;
        }
    };

    @ArchTest
    static final ArchRule services_do_not_use_each_other = slices().assignedFrom(BY_SERVICE)
            .should().notDependOnEachOther()
            .because("services share only what is in common; each reads another's JSON with its own types");

    @ArchTest
    static final ArchRule bench_uses_only_what_the_agent_exposes = noClasses()
            .that().resideInAPackage("io.bootswarm.bench..")
            .should().dependOnClassesThat(agentInternal())
            .because("the agent exposes to bench its picker package and " + AGENT_API
                    + "; the rest is the agent's to change");

    /** The rules above pass vacuously if a module's classes are missing: each must be there. */
    @ArchTest
    static void sees_every_module(JavaClasses classes) {
        for (String p : List.of("tracker", "seed", "profile", "allocator", "agent", "auth", "bench", "common",
                "allocation")) {
            assertThat(classes.stream().anyMatch(c -> within(c.getPackageName(), "io.bootswarm." + p)))
                    .as("main classes of io.bootswarm.%s are imported", p).isTrue();
        }
    }

    static Optional<String> serviceOf(String packageName) {
        return SERVICES.stream().filter(s -> within(packageName, "io.bootswarm." + s)).findFirst();
    }

    /** {@code packageName} is {@code root} or one of its subpackages. */
    static boolean within(String packageName, String root) {
        return packageName.equals(root) || packageName.startsWith(root + ".");
    }

    private static DescribedPredicate<JavaClass> agentInternal() {
        return DescribedPredicate.describe("are the agent's internals (not its picker package or " + AGENT_API + ")",
                c -> serviceOf(c.getPackageName()).filter("agent"::equals).isPresent()
                        && !within(c.getPackageName(), AGENT_PICKER)
                        && !AGENT_API.contains(topLevelName(c)));
    }

    /** A nested type belongs to the type it is declared in: {@code Announcer$Result} is Announcer's. */
    private static String topLevelName(JavaClass c) {
        String name = c.getName();
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }
}
