package io.bootswarm.agent.nbd;

/**
 * Wire constants of the NBD protocol, as specified in {@code doc/proto.md} of
 * <a href="https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md">NetworkBlockDevice/nbd</a>
 * (checked against the revision of 2026-05-02, commit 89ba7b5). Each group names the section of
 * that document it comes from. All values travel big-endian ("network byte order", section
 * "Conventions").
 */
final class NbdProtocol {

    private NbdProtocol() {
    }

    // --- "Newstyle negotiation" ----------------------------------------------------------------

    /** ASCII {@code NBDMAGIC}, first 64 bits the server sends ({@code INIT_PASSWD}). */
    static final long NBDMAGIC = 0x4e42444d41474943L;
    /** ASCII {@code IHAVEOPT}: second server magic, and the magic that starts every client option. */
    static final long IHAVEOPT = 0x49484156454F5054L;

    // --- "Fixed newstyle negotiation" ----------------------------------------------------------

    /** Magic that starts every option reply. */
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

    // --- "Values / Handshake phase / Flag fields / Handshake flags" (16 bits) ------------------

    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;

    // --- "Client flags" (32 bits); "the server MUST drop the TCP connection if the client sets
    //     an unknown flag, or a flag that does not match something advertised by the server" ---

    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    static final int FLAG_C_NO_ZEROES = 1 << 1;

    // --- "Transmission flags" (16 bits) --------------------------------------------------------

    static final int FLAG_HAS_FLAGS = 1;
    static final int FLAG_READ_ONLY = 1 << 1;
    static final int FLAG_SEND_FLUSH = 1 << 2;
    static final int FLAG_SEND_FUA = 1 << 3;
    static final int FLAG_ROTATIONAL = 1 << 4;
    static final int FLAG_SEND_TRIM = 1 << 5;
    static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int FLAG_SEND_DF = 1 << 7;
    static final int FLAG_CAN_MULTI_CONN = 1 << 8;
    static final int FLAG_SEND_RESIZE = 1 << 9;
    static final int FLAG_SEND_CACHE = 1 << 10;
    static final int FLAG_SEND_FAST_ZERO = 1 << 11;

    // --- "Option types" ------------------------------------------------------------------------

    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_PEEK_EXPORT = 4;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;
    static final int OPT_EXTENDED_HEADERS = 11;

    // --- "Option reply types"; errors have bit 31 set ------------------------------------------

    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = 0x8000_0001;
    static final int REP_ERR_POLICY = 0x8000_0002;
    static final int REP_ERR_INVALID = 0x8000_0003;
    static final int REP_ERR_PLATFORM = 0x8000_0004;
    static final int REP_ERR_TLS_REQD = 0x8000_0005;
    static final int REP_ERR_UNKNOWN = 0x8000_0006;
    static final int REP_ERR_SHUTDOWN = 0x8000_0007;
    static final int REP_ERR_BLOCK_SIZE_REQD = 0x8000_0008;
    static final int REP_ERR_TOO_BIG = 0x8000_0009;

    // --- "NBD_REP_INFO" information types ------------------------------------------------------

    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // --- "Request message" / "Simple reply message" -------------------------------------------

    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    /** magic(32) flags(16) type(16) cookie(64) offset(64) length(32). */
    static final int REQUEST_HEADER_SIZE = 28;
    /** magic(32) error(32) cookie(64). */
    static final int SIMPLE_REPLY_HEADER_SIZE = 16;

    // --- "Structured reply chunk message" ------------------------------------------------------

    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** magic(32) flags(16) type(16) cookie(64) length(32). */
    static final int STRUCTURED_REPLY_HEADER_SIZE = 20;

    // --- "Structured reply flags" and "Structured reply types" ---------------------------------

    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_OFFSET_HOLE = 2;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_ERROR = (1 << 15) + 1;
    static final int REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;
    /** An OFFSET_DATA chunk's header and its 64-bit offset, in front of the data. */
    static final int OFFSET_DATA_HEADER_SIZE = STRUCTURED_REPLY_HEADER_SIZE + 8;
    /** An ERROR chunk without a message: header, error(32), message length(16). */
    static final int ERROR_CHUNK_SIZE = STRUCTURED_REPLY_HEADER_SIZE + 6;

    // --- "Transmission phase / Command flags" --------------------------------------------------

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;
    static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // --- "Request types" -----------------------------------------------------------------------

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_CACHE = 5;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;
    static final int CMD_RESIZE = 8;

    // --- "Error values" ------------------------------------------------------------------------

    static final int EPERM = 1;
    static final int EIO = 5;
    static final int ENOMEM = 12;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ENOTSUP = 95;
    static final int ESHUTDOWN = 108;

    // --- "Conventions": strings "MUST be no longer than 4096 bytes" ----------------------------

    static final int MAX_STRING_LENGTH = 4096;

    // --- "Size constraints" --------------------------------------------------------------------

    /**
     * Largest READ/WRITE payload accepted, and the maximum payload advertised in
     * {@code NBD_INFO_BLOCK_SIZE}: 2^25, the size "any payload not exceeding ... SHOULD NOT be
     * considered a denial of service attack" and the default maximum clients assume.
     */
    static final int MAX_PAYLOAD = 1 << 25;
    /**
     * Advertised minimum block size: 1, the protocol's default. Our devices are byte-addressed
     * (a file overlay), so any alignment works without read-modify-write on the server, and an
     * image whose size is not a multiple of 512 stays fully addressable (the spec says the export
     * size SHOULD be a multiple of the minimum block size).
     */
    static final int MIN_BLOCK_SIZE = 1;

    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "read";
            case CMD_WRITE -> "write";
            case CMD_DISC -> "disc";
            case CMD_FLUSH -> "flush";
            case CMD_TRIM -> "trim";
            case CMD_CACHE -> "cache";
            case CMD_WRITE_ZEROES -> "write_zeroes";
            case CMD_BLOCK_STATUS -> "block_status";
            default -> "unknown(" + type + ")";
        };
    }

    static String optionName(int option) {
        return switch (option) {
            case OPT_EXPORT_NAME -> "NBD_OPT_EXPORT_NAME";
            case OPT_ABORT -> "NBD_OPT_ABORT";
            case OPT_LIST -> "NBD_OPT_LIST";
            case OPT_PEEK_EXPORT -> "NBD_OPT_PEEK_EXPORT";
            case OPT_STARTTLS -> "NBD_OPT_STARTTLS";
            case OPT_INFO -> "NBD_OPT_INFO";
            case OPT_GO -> "NBD_OPT_GO";
            case OPT_STRUCTURED_REPLY -> "NBD_OPT_STRUCTURED_REPLY";
            case OPT_LIST_META_CONTEXT -> "NBD_OPT_LIST_META_CONTEXT";
            case OPT_SET_META_CONTEXT -> "NBD_OPT_SET_META_CONTEXT";
            case OPT_EXTENDED_HEADERS -> "NBD_OPT_EXTENDED_HEADERS";
            default -> "option " + Integer.toUnsignedString(option);
        };
    }

    static String errorName(int error) {
        return switch (error) {
            case 0 -> "OK";
            case EPERM -> "EPERM";
            case EIO -> "EIO";
            case ENOMEM -> "ENOMEM";
            case EINVAL -> "EINVAL";
            case ENOSPC -> "ENOSPC";
            case EOVERFLOW -> "EOVERFLOW";
            case ENOTSUP -> "ENOTSUP";
            case ESHUTDOWN -> "ESHUTDOWN";
            default -> "E" + error;
        };
    }
}
