package io.bootswarm.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.web.SecurityFilterChain;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real OAuth2 authorization server (Spring Security's, client-credentials grant, RFC 6749 §4.4)
 * standing in for the operator's identity provider in the local fleet, the compose deployment and
 * the tests. Its tokens are JWTs signed with a key made at start, carrying the client's roles (claim
 * {@code roles}) and, for an agent host's client, the host (claim {@code host}). Clients are added
 * while it runs ({@link #register}); secrets are random and live only in memory and in what the
 * caller writes out.
 */
public final class AuthorizationServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AuthorizationServer.class);
    private static final String ROLES = "bootswarm.roles";
    private static final String HOST = "bootswarm.host";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * A client of the authorization server.
     *
     * @param id     client id, the tokens' subject
     * @param secret client secret
     * @param roles  role claims ({@code admin}, {@code agent}, ...)
     * @param host   the host an agent client speaks for, or null
     */
    public record Client(String id, String secret, Set<String> roles, String host) {
        public Client {
            roles = Set.copyOf(new TreeSet<>(roles));
        }
    }

    private record Token(String value, Instant expires) {
    }

    private final ConfigurableApplicationContext context;
    private final InMemoryRegisteredClientRepository registered;
    private final String issuer;
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final SecureRandom random = new SecureRandom();

    private AuthorizationServer(ConfigurableApplicationContext context, String issuer) {
        this.context = context;
        this.registered = context.getBean(InMemoryRegisteredClientRepository.class);
        this.issuer = issuer;
    }

    /**
     * Starts on {@code port} (0: any) of {@code address}.
     *
     * @param issuer the issuer its tokens name ({@code iss}), which resource servers must be given
     *               exactly; null for {@code http://127.0.0.1:<port>}
     */
    public static AuthorizationServer start(String address, int port, String issuer) {
        long t0 = System.nanoTime();
        int bound = port != 0 ? port : freePort();
        String iss = issuer != null ? issuer : "http://127.0.0.1:" + bound;
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Application.class)
                .properties(Map.of(
                        "server.port", bound,
                        "server.address", address,
                        "spring.main.banner-mode", "off",
                        "spring.application.name", "authorization-server",
                        "bootswarm.auth.issuer", iss))
                .run();
        log.info("authorization server up at {} (issuer {}) in {} ms", "http://" + address + ":" + bound, iss,
                (System.nanoTime() - t0) / 1_000_000);
        return new AuthorizationServer(ctx, iss);
    }

    private static int freePort() {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The issuer its tokens name: what resource servers take as {@code issuer-uri}. */
    public String issuerUri() {
        return issuer;
    }

    /** Where it listens (which is the issuer unless another was given). */
    public String url() {
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        return "http://127.0.0.1:" + port;
    }

    /** The token endpoint, on {@link #url()}. */
    public String tokenUri() {
        return url() + "/oauth2/token";
    }

    /**
     * The client {@code id} with these roles (and host), made with a random secret; the same client
     * again when it exists with the same roles and host.
     *
     * @throws IllegalArgumentException when {@code id} exists with other roles or another host
     */
    public synchronized Client register(String id, Set<String> roles, String host) {
        Client existing = clients.get(id);
        Client wanted = new Client(id, existing != null ? existing.secret() : newSecret(), roles, host);
        if (existing != null) {
            if (!existing.equals(wanted)) {
                throw new IllegalArgumentException("client " + id + " exists with roles " + existing.roles()
                        + " and host " + existing.host());
            }
            return existing;
        }
        return add(wanted);
    }

    /** Adds a client whose secret the caller chose (a deployment's configured clients). */
    public synchronized Client add(Client client) {
        ClientSettings.Builder settings = ClientSettings.builder().setting(ROLES, List.copyOf(client.roles()));
        if (client.host() != null) {
            settings.setting(HOST, client.host());
        }
        registered.save(RegisteredClient.withId(UUID.randomUUID().toString())
                .clientId(client.id())
                .clientSecret("{noop}" + client.secret())
                .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_POST)
                .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                .clientSettings(settings.build())
                .tokenSettings(TokenSettings.builder().accessTokenTimeToLive(Duration.ofMinutes(10)).build())
                .build());
        clients.put(client.id(), client);
        return client;
    }

    /** The clients registered so far. */
    public List<Client> clients() {
        return clients.values().stream().sorted(java.util.Comparator.comparing(Client::id)).toList();
    }

    /**
     * An access token of client {@code id}, got from the token endpoint over HTTP as any client
     * would, and reused until a minute before it expires.
     */
    public String token(String id) {
        Token cached = tokens.get(id);
        if (cached != null && cached.expires().isAfter(Instant.now().plusSeconds(60))) {
            return cached.value();
        }
        Client client = clients.get(id);
        if (client == null) {
            throw new IllegalArgumentException("no client " + id);
        }
        Token fresh = requestToken(client.id(), client.secret());
        tokens.put(id, fresh);
        return fresh.value();
    }

    /** A token of client {@code id}, registered first with these roles and host if it is new. */
    public String token(String id, Set<String> roles, String host) {
        register(id, roles, host);
        return token(id);
    }

    /**
     * A token of the agent host {@code host}'s own client ({@code agent-<host>}, role {@code agent},
     * claim {@code host}): what a node agent on that host calls with.
     */
    public String hostToken(String host) {
        return token("agent-" + host, Set.of("agent"), host);
    }

    private Token requestToken(String id, String secret) {
        String basic = Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(tokenUri()))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("token request of " + id + ": HTTP " + r.statusCode() + " " + r.body());
            }
            JsonNode body = JSON.readTree(r.body());
            return new Token(body.get("access_token").asString(),
                    Instant.now().plusSeconds(body.get("expires_in").asLong()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String newSecret() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public void close() {
        context.close();
    }

    /** The authorization server's application: Tomcat, Spring MVC and Spring Security, nothing else. */
    @Configuration(proxyBeanMethods = false)
    @EnableWebSecurity
    @ImportAutoConfiguration({TomcatServletWebServerAutoConfiguration.class, DispatcherServletAutoConfiguration.class,
            WebMvcAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class, JacksonAutoConfiguration.class,
            SecurityFilterAutoConfiguration.class})
    static class Application {

        @Bean
        SecurityFilterChain authorizationServerChain(HttpSecurity http) {
            http.oauth2AuthorizationServer(Customizer.withDefaults())
                    .authorizeHttpRequests(a -> a.anyRequest().authenticated())
                    .csrf(c -> c.disable());
            return http.build();
        }

        @Bean
        InMemoryRegisteredClientRepository registeredClients() {
            // the repository needs one client to start with; it takes no token (no grant type it can use)
            return new InMemoryRegisteredClientRepository(RegisteredClient.withId("none").clientId("none")
                    .clientSecret("{noop}" + UUID.randomUUID())
                    .authorizationGrantType(AuthorizationGrantType.JWT_BEARER).build());
        }

        @Bean
        AuthorizationServerSettings authorizationServerSettings(
                org.springframework.core.env.Environment env) {
            return AuthorizationServerSettings.builder().issuer(env.getRequiredProperty("bootswarm.auth.issuer")).build();
        }

        @Bean
        JWKSource<SecurityContext> signingKeys() {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                var pair = g.generateKeyPair();
                RSAKey key = new RSAKey.Builder((RSAPublicKey) pair.getPublic())
                        .privateKey((RSAPrivateKey) pair.getPrivate()).keyID(UUID.randomUUID().toString()).build();
                return new ImmutableJWKSet<>(new JWKSet(key));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Roles and host of the client into the access token. */
        @Bean
        OAuth2TokenCustomizer<JwtEncodingContext> rolesAndHost() {
            return context -> {
                ClientSettings settings = context.getRegisteredClient().getClientSettings();
                List<String> roles = settings.getSetting(ROLES);
                if (roles != null) {
                    context.getClaims().claim("roles", roles);
                }
                String host = settings.getSetting(HOST);
                if (host != null) {
                    context.getClaims().claim("host", host);
                }
            };
        }
    }
}
