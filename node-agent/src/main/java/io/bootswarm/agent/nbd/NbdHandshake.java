package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.*;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLSocket;

/**
 * The handshake of one connection, from the greeting to the export chosen: "Fixed newstyle
 * negotiation" ({@code NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES}), "Option haggling" with the
 * options of "Option types" ({@code NBD_OPT_EXPORT_NAME}, {@code NBD_OPT_ABORT}, {@code NBD_OPT_LIST},
 * {@code NBD_OPT_INFO}, {@code NBD_OPT_GO}, {@code NBD_OPT_STARTTLS}, {@code NBD_OPT_STRUCTURED_REPLY},
 * {@code NBD_OPT_LIST_META_CONTEXT} and {@code NBD_OPT_SET_META_CONTEXT} with the contexts of
 * {@link MetaContext}; everything else {@code NBD_REP_ERR_UNSUP}) and the replies of "Option reply
 * types". Meta contexts are refused with {@code NBD_REP_ERR_INVALID} until structured replies are
 * negotiated; STARTTLS forgets both, as "NBD_OPT_STRUCTURED_REPLY" demands.
 *
 * <p>With TLS configured a TCP session is in "FORCEDTLS mode" of "TLS support": before
 * {@code NBD_OPT_STARTTLS} every other option but {@code NBD_OPT_ABORT} gets
 * {@code NBD_REP_ERR_TLS_REQD} and {@code NBD_OPT_EXPORT_NAME} ends the session; after the
 * {@code NBD_REP_ACK} the TLS handshake runs over the same socket and the {@link NbdTransport} is
 * upgraded, so the rest of option haggling and all of transmission go through it.
 *
 * <p>Runs on the connection's own thread; it ends by returning the {@link Export} to serve
 * ({@link NbdTransmission} takes over from there) or null when the session is to close.
 */
final class NbdHandshake {

    private static final Logger log = LoggerFactory.getLogger(NbdHandshake.class);

    /**
     * Transmission flags of every export ("Transmission flags"): {@code NBD_CMD_CACHE} is a prefetch
     * hint to the device ({@link BlockDevice#cache}), and {@code NBD_CMD_FLAG_FAST_ZERO} succeeds only
     * where the range already reads as zeroes, else fails at once with {@code NBD_ENOTSUP}.
     */
    static final int TRANSMISSION_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA
            | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO;
    /**
     * With structured replies also {@code NBD_FLAG_SEND_DF}, which "MUST NOT" be set without them:
     * a READ with {@code NBD_CMD_FLAG_DF} gets a single content chunk.
     */
    static final int STRUCTURED_TRANSMISSION_FLAGS = TRANSMISSION_FLAGS | FLAG_SEND_DF;
    /** Queries in one LIST/SET_META_CONTEXT at most; more get {@code NBD_REP_ERR_TOO_BIG}. */
    static final int MAX_META_QUERIES = 128;
    /** Option data we read into memory to parse (NBD_OPT_GO: 4 + name of at most 4096 + 2 + 2n). */
    static final int MAX_OPTION_DATA = 64 * 1024;
    /** Larger option data than {@link #MAX_OPTION_DATA} is skipped and refused up to this; beyond, we hang up. */
    static final long MAX_OPTION_DISCARD = 16L << 20;

    /**
     * The export the client chose, with its size as the handshake reported it, whether structured
     * replies were negotiated and the meta contexts selected for it (empty: no block status).
     */
    record Export(String name, BlockDevice device, long size, boolean structured, List<MetaContext> contexts) {

        Export(String name, BlockDevice device, long size) {
            this(name, device, size, false, List.of());
        }

        Export {
            contexts = List.copyOf(contexts);
        }

        int transmissionFlags() {
            return structured ? STRUCTURED_TRANSMISSION_FLAGS : TRANSMISSION_FLAGS;
        }
    }

    private enum Next { CONTINUE, TRANSMISSION, CLOSE }

    private final NbdConnection connection;
    private final NbdTransport transport;
    private final NbdServerSettings settings;
    private final ExportLookup exports;
    private final NbdMetrics metrics;
    private final boolean forcedTls;
    private final OptionReplyWriter replies;
    /** The first option refused with NBD_REP_ERR_TLS_REQD, logged once when the session ends without TLS. */
    private String refusedBeforeTls;
    private Export chosen;
    /** NBD_OPT_STRUCTURED_REPLY acknowledged (since the last STARTTLS). */
    private boolean structured;
    /** The export the last NBD_OPT_SET_META_CONTEXT named (canonical), and what it selected. */
    private String metaExport;
    private List<MetaContext> selected = List.of();

    /**
     * @param forcedTls whether this session is in FORCEDTLS mode (TCP with TLS configured), else NOTLS
     */
    NbdHandshake(NbdConnection connection, NbdTransport transport, NbdServerSettings settings, ExportLookup exports,
                 NbdMetrics metrics, boolean forcedTls) {
        this.connection = connection;
        this.transport = transport;
        this.settings = settings;
        this.exports = exports;
        this.metrics = metrics;
        this.forcedTls = forcedTls;
        this.replies = new OptionReplyWriter(transport);
    }

    /** The first option refused for want of TLS, or null. */
    String refusedBeforeTls() {
        return refusedBeforeTls;
    }

    /** @return the export to enter transmission on, or null to close */
    Export run() throws IOException {
        replies.buffer().putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
        replies.flush();

        int clientFlags = transport.in().readInt();
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            throw new NbdConnection.ProtocolViolation(String.format("unknown client flags 0x%08x", clientFlags));
        }
        boolean noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;

        while (true) {
            ChannelInput in = transport.in();
            long magic = in.readLong();
            if (magic != IHAVEOPT) {
                throw new NbdConnection.ProtocolViolation(String.format("bad option magic 0x%016x", magic));
            }
            int option = in.readInt();
            long length = Integer.toUnsignedLong(in.readInt());
            Next next = option(option, length, noZeroes);
            replies.flush();
            if (next == Next.TRANSMISSION) {
                return chosen;
            }
            if (next == Next.CLOSE) {
                return null;
            }
        }
    }

    private Next option(int option, long length, boolean noZeroes) throws IOException {
        if (forcedTls && !transport.isTls() && option != OPT_STARTTLS && option != OPT_ABORT) {
            return beforeTls(option, length);
        }
        if (option == OPT_EXPORT_NAME) {
            return exportNameOption(length, noZeroes);
        }
        ChannelInput in = transport.in();
        if (length > MAX_OPTION_DATA) {
            if (length > MAX_OPTION_DISCARD) {
                throw new NbdConnection.ProtocolViolation("option " + option + " with " + length + " bytes of data");
            }
            in.skip(length);
            replies.error(option, REP_ERR_TOO_BIG, "option data of " + length + " bytes is too large");
            return Next.CONTINUE;
        }
        switch (option) {
            case OPT_ABORT -> {
                // "a server SHOULD ignore any data sent by the client" with NBD_OPT_ABORT
                in.skip(length);
                replies.reply(option, REP_ACK, null, 0);
                log.debug("NBD client {} aborted the negotiation", connection.remote());
                return Next.CLOSE;
            }
            case OPT_LIST -> {
                if (length != 0) {
                    in.skip(length);
                    replies.error(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                    return Next.CONTINUE;
                }
                listExports();
                return Next.CONTINUE;
            }
            case OPT_INFO, OPT_GO -> {
                return infoOrGo(option, (int) length);
            }
            case OPT_STARTTLS -> {
                if (!forcedTls) {
                    // "NOTLS mode": NBD_REP_ERR_POLICY where TLS is configured but not for this session
                    // (the Unix socket), NBD_REP_ERR_UNSUP "if it does not support the option at all"
                    in.skip(length);
                    boolean configured = settings.tls() != null;
                    replies.error(option, configured ? REP_ERR_POLICY : REP_ERR_UNSUP,
                            configured ? "TLS is offered on TCP only" : null);
                    return Next.CONTINUE;
                }
                return startTls(length);
            }
            case OPT_STRUCTURED_REPLY -> {
                if (length != 0) {
                    in.skip(length);
                    replies.error(option, REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                    return Next.CONTINUE;
                }
                structured = true;
                replies.reply(option, REP_ACK, null, 0);
                return Next.CONTINUE;
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> {
                metaContext(option, (int) length);
                return Next.CONTINUE;
            }
            default -> {
                // EXTENDED_HEADERS and anything unknown: "Servers that receive messages which they do not
                // implement MUST reply to them with NBD_REP_ERR_UNSUP" ("Baseline").
                in.skip(length);
                replies.error(option, REP_ERR_UNSUP, null);
                return Next.CONTINUE;
            }
        }
    }

    /** "FORCEDTLS mode": any option but STARTTLS and ABORT before TLS has been initiated. */
    private Next beforeTls(int option, long length) throws IOException {
        if (refusedBeforeTls == null) {
            refusedBeforeTls = optionName(option);
        }
        if (option == OPT_EXPORT_NAME) {
            // "as this request cannot error, it MUST terminate the session"
            return Next.CLOSE;
        }
        if (length > MAX_OPTION_DISCARD) {
            throw new NbdConnection.ProtocolViolation("option " + option + " with " + length + " bytes of data");
        }
        transport.in().skip(length);
        replies.error(option, REP_ERR_TLS_REQD, "TLS is required: send NBD_OPT_STARTTLS first");
        return Next.CONTINUE;
    }

    /**
     * "FORCEDTLS mode": STARTTLS before TLS is acknowledged and the TLS handshake follows at once;
     * STARTTLS again is NBD_REP_ERR_INVALID ("NBD_OPT_STARTTLS": its data length MUST be zero).
     */
    private Next startTls(long length) throws IOException {
        ChannelInput in = transport.in();
        if (transport.isTls()) {
            in.skip(length);
            replies.error(OPT_STARTTLS, REP_ERR_INVALID, "TLS has already been negotiated");
            return Next.CONTINUE;
        }
        if (length != 0) {
            in.skip(length);
            replies.error(OPT_STARTTLS, REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
            return Next.CONTINUE;
        }
        if (in.buffered() > 0) {
            // bytes sent before our ACK cannot belong to the TLS handshake: plaintext injected ahead of TLS
            throw new NbdConnection.ProtocolViolation(
                    in.buffered() + " bytes sent after NBD_OPT_STARTTLS before its reply");
        }
        replies.reply(OPT_STARTTLS, REP_ACK, null, 0);
        replies.flush();
        SSLSocket socket = settings.tls().layer(transport.socket(), connection.remote());
        try {
            socket.startHandshake();
        } catch (IOException e) {
            metrics.tlsHandshakesFailed.increment();
            throw new NbdConnection.TlsHandshakeFailure(e);
        }
        metrics.tlsHandshakes.increment();
        TlsChannel tls = new TlsChannel(socket);
        transport.upgrade(tls);
        structured = false;
        metaExport = null;
        selected = List.of();
        log.debug("NBD client {} upgraded to {}", connection.remote(), tls.describe());
        return Next.CONTINUE;
    }

    private Next exportNameOption(long length, boolean noZeroes) throws IOException {
        if (length > MAX_STRING_LENGTH) {
            throw new NbdConnection.ProtocolViolation("NBD_OPT_EXPORT_NAME with a name of " + length + " bytes");
        }
        String name = new String(transport.in().readBytes((int) length), StandardCharsets.UTF_8);
        Export export = resolve(name);
        if (export == null) {
            // "If the chosen export does not exist ... the server MUST terminate the session."
            log.debug("NBD client {} asked for unknown export '{}' with NBD_OPT_EXPORT_NAME; closing",
                    connection.remote(), name);
            return Next.CLOSE;
        }
        export = session(export);
        replies.buffer().putLong(export.size()).putShort((short) export.transmissionFlags());
        if (!noZeroes) {
            replies.buffer().put(new byte[124]);
        }
        enter(export);
        return Next.TRANSMISSION;
    }

    private void listExports() throws IOException {
        Collection<String> names;
        try {
            names = exports.names();
        } catch (RuntimeException e) {
            log.warn("NBD export lookup failed listing exports for {}", connection.remote(), e);
            replies.error(OPT_LIST, REP_ERR_SHUTDOWN, "export list unavailable");
            return;
        }
        for (String name : names) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (bytes.length == 0 || bytes.length > MAX_STRING_LENGTH) {
                continue;
            }
            ByteBuffer data = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes);
            replies.reply(OPT_LIST, REP_SERVER, data.array(), data.capacity());
        }
        replies.reply(OPT_LIST, REP_ACK, null, 0);
    }

    /** "NBD_OPT_INFO and NBD_OPT_GO", with the information types of "Information types". */
    private Next infoOrGo(int option, int length) throws IOException {
        String what = option == OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO";
        if (length < 6) {
            transport.in().skip(length);
            replies.error(option, REP_ERR_INVALID, what + " data too short");
            return Next.CONTINUE;
        }
        ByteBuffer data = ByteBuffer.wrap(transport.in().readBytes(length));
        long nameLength = Integer.toUnsignedLong(data.getInt());
        if (nameLength > length - 6) {
            replies.error(option, REP_ERR_INVALID, "export name length exceeds the option data");
            return Next.CONTINUE;
        }
        if (nameLength > MAX_STRING_LENGTH) {
            replies.error(option, REP_ERR_INVALID, "export name longer than " + MAX_STRING_LENGTH + " bytes");
            return Next.CONTINUE;
        }
        byte[] nameBytes = new byte[(int) nameLength];
        data.get(nameBytes);
        int requests = Short.toUnsignedInt(data.getShort());
        if (data.remaining() != 2 * requests) {
            replies.error(option, REP_ERR_INVALID, "information request count does not match the option length");
            return Next.CONTINUE;
        }
        boolean wantName = false;
        for (int i = 0; i < requests; i++) {
            if (Short.toUnsignedInt(data.getShort()) == INFO_NAME) {
                wantName = true;
            }
        }
        String name = new String(nameBytes, StandardCharsets.UTF_8);
        Export export = resolve(name);
        if (export == null) {
            log.debug("NBD client {} asked for unknown export '{}' with {}", connection.remote(), name, what);
            replies.error(option, REP_ERR_UNKNOWN, name.isEmpty() ? "no default export" : "unknown export: " + name);
            return Next.CONTINUE;
        }
        export = session(export);
        // NBD_INFO_EXPORT: mandatory before a successful ACK.
        ByteBuffer info = ByteBuffer.allocate(12).putShort((short) INFO_EXPORT).putLong(export.size())
                .putShort((short) export.transmissionFlags());
        replies.reply(option, REP_INFO, info.array(), 12);
        // NBD_INFO_BLOCK_SIZE: sent whether asked or not (allowed: "The server MAY send information
        // requests back which are not explicitly requested"); our constraints are the defaults.
        info = ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE).putInt(MIN_BLOCK_SIZE)
                .putInt(settings.preferredBlockSize()).putInt(MAX_PAYLOAD);
        replies.reply(option, REP_INFO, info.array(), 14);
        if (wantName) {
            byte[] canonical = export.name().getBytes(StandardCharsets.UTF_8);
            info = ByteBuffer.allocate(2 + canonical.length).putShort((short) INFO_NAME).put(canonical);
            replies.reply(option, REP_INFO, info.array(), info.capacity());
        }
        replies.reply(option, REP_ACK, null, 0);
        if (option == OPT_GO) {
            enter(export);
            return Next.TRANSMISSION;
        }
        return Next.CONTINUE;
    }

    /** The export with what this session negotiated for it. */
    private Export session(Export export) {
        List<MetaContext> contexts = structured && export.name().equals(metaExport) ? selected : List.of();
        return new Export(export.name(), export.device(), export.size(), structured, contexts);
    }

    /**
     * "NBD_OPT_LIST_META_CONTEXT" and "NBD_OPT_SET_META_CONTEXT": export name, then queries. A LIST
     * query may be a namespace alone ({@code "base:"}) for all of its contexts, no query lists all;
     * SET selects exact names only and replaces the selection, even when it fails.
     */
    private void metaContext(int option, int length) throws IOException {
        boolean set = option == OPT_SET_META_CONTEXT;
        String what = optionName(option);
        if (set) {
            metaExport = null;
            selected = List.of();
        }
        byte[] raw = transport.in().readBytes(length);
        if (!structured) {
            replies.error(option, REP_ERR_INVALID, what + " needs NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        ByteBuffer data = ByteBuffer.wrap(raw);
        String name = string(data);
        if (name == null || data.remaining() < 4) {
            replies.error(option, REP_ERR_INVALID, what + " data malformed");
            return;
        }
        long count = Integer.toUnsignedLong(data.getInt());
        if (count > MAX_META_QUERIES) {
            replies.error(option, REP_ERR_TOO_BIG, "more than " + MAX_META_QUERIES + " queries");
            return;
        }
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            String q = string(data);
            if (q == null) {
                replies.error(option, REP_ERR_INVALID, what + " query " + i + " malformed");
                return;
            }
            queries.add(q);
        }
        if (data.hasRemaining()) {
            replies.error(option, REP_ERR_INVALID, what + " has " + data.remaining() + " bytes after its queries");
            return;
        }
        Export export = resolve(name);
        if (export == null) {
            replies.error(option, REP_ERR_UNKNOWN, name.isEmpty() ? "no default export" : "unknown export: " + name);
            return;
        }
        Set<MetaContext> matched = EnumSet.noneOf(MetaContext.class);
        for (MetaContext c : MetaContext.values()) {
            if (set ? queries.contains(c.contextName())
                    : queries.isEmpty() || queries.contains(c.contextName()) || queries.contains(c.namespace())) {
                matched.add(c);
            }
        }
        for (MetaContext c : matched) {
            byte[] n = c.contextName().getBytes(StandardCharsets.UTF_8);
            ByteBuffer reply = ByteBuffer.allocate(4 + n.length).putInt(set ? c.id() : 0).put(n);
            replies.reply(option, REP_META_CONTEXT, reply.array(), reply.capacity());
        }
        replies.reply(option, REP_ACK, null, 0);
        if (set) {
            metaExport = export.name();
            selected = List.copyOf(matched);
        }
    }

    /** A 32-bit length and that many bytes of UTF-8, or null if it does not fit the data or the limit. */
    private static String string(ByteBuffer data) {
        if (data.remaining() < 4) {
            return null;
        }
        long n = Integer.toUnsignedLong(data.getInt());
        if (n > MAX_STRING_LENGTH || n > data.remaining()) {
            return null;
        }
        byte[] b = new byte[(int) n];
        data.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The empty name is the default export: the only one, if exactly one exists. */
    private Export resolve(String name) {
        try {
            String canonical = name;
            if (name.isEmpty()) {
                Collection<String> names = exports.names();
                if (names.size() != 1) {
                    return null;
                }
                canonical = names.iterator().next();
            }
            Optional<BlockDevice> found = exports.find(canonical);
            if (found.isEmpty()) {
                return null;
            }
            long size = found.get().size();
            if (size < 0) {
                log.warn("NBD export '{}' reports a negative size {}", canonical, size);
                return null;
            }
            return new Export(canonical, found.get(), size);
        } catch (RuntimeException e) {
            log.warn("NBD export lookup for '{}' failed", name, e);
            return null;
        }
    }

    /** Chosen: the connection is named after the export at once (for {@link NbdServer#disconnect}). */
    private void enter(Export export) {
        chosen = export;
        connection.entered(export);
    }
}
