package io.bootswarm.testing;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.lang.reflect.Method;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
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

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, RunTests.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("no test class " + name, e);
        }
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: RunTests fully.qualified.Class#method ...");
            System.exit(2);
        }
        var builder = request();
        for (String a : args) {
            int hash = a.indexOf('#');
            Class<?> type = load(hash < 0 ? a : a.substring(0, hash));
            if (hash < 0) {
                builder.selectors(selectClass(type));
                continue;
            }
            // by name, whatever the parameters (a fuzz target takes bytes or a FuzzedDataProvider)
            String name = a.substring(hash + 1);
            for (Method m : type.getDeclaredMethods()) {
                if (m.getName().equals(name)) {
                    builder.selectors(selectMethod(type, m));
                }
            }
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
