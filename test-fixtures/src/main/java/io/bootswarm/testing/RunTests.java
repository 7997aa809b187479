package io.bootswarm.testing;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * Runs test methods on a class path a build computed once, without a build tool per run: {@code java -cp …
 * io.bootswarm.testing.RunTests com.example.SomeTest#method …}. {@code bin/fuzz} uses it to give each Jazzer
 * fuzz target a JVM of its own (Jazzer fuzzes one target per JVM) in seconds instead of a Maven run each.
 * Exits 1 when a test failed or none ran.
 */
public final class RunTests {

    private RunTests() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: RunTests fully.qualified.Class#method ...");
            System.exit(2);
        }
        var builder = request();
        for (String a : args) {
            builder.selectors(selectMethod(a));
        }
        LauncherDiscoveryRequest discovery = builder.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(discovery, summary);
        TestExecutionSummary s = summary.getSummary();
        s.printTo(new PrintWriter(System.out, true));
        s.printFailuresTo(new PrintWriter(System.err, true), 30);
        System.exit(s.getTotalFailureCount() > 0 || s.getTestsSucceededCount() == 0 ? 1 : 0);
    }
}
