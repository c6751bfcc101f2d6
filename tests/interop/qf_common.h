/*
 * qf_common.h - what qf_router and qf_venue share: options, a QuickFIX Log
 * that records every message and event to a file and counts the events
 * that mean QuickFIX's session layer found something wrong, QuickFIX
 * settings for TLS, and free ports for the test script.
 *
 * QuickFIX is Debian's libquickfix-dev (1.15.1), built with OpenSSL: its SSL
 * classes are used directly (no stunnel). Its headers need HAVE_SSL=1
 * (configure puts it in RG_CXXFLAGS) and C++14 at most.
 */
#ifndef RISKGW_QF_COMMON_H
#define RISKGW_QF_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>

namespace qf {

/* --name value options; a lone --flag is "1". */
struct Opts {
	std::map<std::string, std::string> m;

	Opts(int argc, char **argv)
	{
		for (int i = 1; i < argc; i++) {
			std::string k = argv[i];

			if (k.compare(0, 2, "--") != 0) {
				std::fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[i]);
				std::exit(2);
			}
			k = k.substr(2);
			if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0)
				m[k] = argv[++i];
			else
				m[k] = "1";
		}
	}
	bool has(const std::string &k) const { return m.count(k) != 0; }
	std::string str(const std::string &k, const std::string &def = "") const
	{
		auto it = m.find(k);
		return it == m.end() ? def : it->second;
	}
	std::string need(const std::string &k) const
	{
		auto it = m.find(k);
		if (it == m.end()) {
			std::fprintf(stderr, "missing option --%s\n", k.c_str());
			std::exit(2);
		}
		return it->second;
	}
	int num(const std::string &k, int def) const
	{
		return has(k) ? std::atoi(str(k).c_str()) : def;
	}
};

/* "FIX.4.4" for "4.4" or "FIX.4.4". */
inline std::string begin_string(const std::string &v)
{
	if (v == "4.2" || v == "FIX.4.2")
		return "FIX.4.2";
	if (v == "4.4" || v == "FIX.4.4")
		return "FIX.4.4";
	std::fprintf(stderr, "unsupported FIX version '%s' (4.2 or 4.4)\n", v.c_str());
	std::exit(2);
}

/* The value of tag, or "" when absent. */
inline std::string get(const FIX::FieldMap &m, int tag)
{
	return m.isSetField(tag) ? m.getField(tag) : std::string();
}

inline std::string bars(std::string s)
{
	for (auto &c : s)
		if (c == '\001')
			c = '|';
	return s;
}

/*
 * Writes every message in and out and every event to one file, one line
 * each ("<session> in|out|event <text>", SOH shown as '|'), and counts the
 * events in which QuickFIX's session layer reports a problem with what the
 * peer sent: a bad CheckSum or BodyLength, a garbled or invalid message, a
 * sequence number too high or too low, a message it rejected, a resend, a
 * heartbeat timeout.
 */
class RecLog : public FIX::Log {
public:
	RecLog(std::FILE *f, std::mutex *mu, std::string name, int problems[2])
	    : f_(f), mu_(mu), name_(std::move(name)), problems_(problems)
	{
	}
	void clear() override {}
	void backup() override {}
	void onIncoming(const std::string &s) override { line("in", s); }
	void onOutgoing(const std::string &s) override { line("out", s); }
	void onEvent(const std::string &s) override
	{
		/* "hard": wrong whatever the test does; "seq": a gap and its
		 * recovery, wrong unless the test makes the gap itself */
		static const char *const hard[] = {"Rejected", "Invalid", "invalid", "too low",
		    "CheckSum", "BodyLength", "Garbled", "garbled", "Timed out", "out of order",
		    "Field tag"};
		static const char *const seq[] = {"too high", "ResendRequest", "Resending"};
		int kind = 0;

		for (const char *b : seq)
			if (s.find(b) != std::string::npos)
				kind = 1;
		for (const char *b : hard)
			if (s.find(b) != std::string::npos)
				kind = 2;
		line(kind == 2 ? "PROBLEM" : kind == 1 ? "SEQ" : "event", s);
		if (kind != 0) {
			std::lock_guard<std::mutex> g(*mu_);
			++problems_[kind == 2 ? 0 : 1];
		}
	}

private:
	void line(const char *what, const std::string &s)
	{
		std::lock_guard<std::mutex> g(*mu_);
		std::fprintf(f_, "%s %s %s\n", name_.c_str(), what, bars(s).c_str());
		std::fflush(f_);
	}
	std::FILE *f_;
	std::mutex *mu_;
	std::string name_;
	int *problems_;
};

class RecLogFactory : public FIX::LogFactory {
public:
	explicit RecLogFactory(const std::string &path)
	{
		f_ = std::fopen(path.c_str(), "w");
		if (f_ == nullptr) {
			std::perror(path.c_str());
			std::exit(99);
		}
	}
	~RecLogFactory() override { std::fclose(f_); }
	FIX::Log *create() override { return new RecLog(f_, &mu_, "global", problems_); }
	FIX::Log *create(const FIX::SessionID &s) override
	{
		return new RecLog(f_, &mu_, s.toString(), problems_);
	}
	void destroy(FIX::Log *l) override { delete l; }
	/* events about a problem of any kind */
	int problems()
	{
		std::lock_guard<std::mutex> g(mu_);
		return problems_[0] + problems_[1];
	}
	/* events about a problem other than a sequence gap and its recovery */
	int hard_problems()
	{
		std::lock_guard<std::mutex> g(mu_);
		return problems_[0];
	}

private:
	std::FILE *f_;
	std::mutex mu_;
	int problems_[2] = {0, 0};
};

/*
 * Settings every session shares. The TLS settings must be in [DEFAULT]:
 * QuickFIX's SSL classes read them from there only. QuickFIX 1.15.1 loads
 * RSA and DSA certificates only (no EC), so the test gives the QuickFIX
 * ends RSA certificates from the same dev CA. Its client verifies the
 * server's chain against CertificationAuthoritiesFile but not the name.
 */
inline FIX::Dictionary tls_defaults(const Opts &o, bool server)
{
	FIX::Dictionary d;

	d.setString("ConnectionType", server ? "acceptor" : "initiator");
	d.setString("StartTime", "00:00:00");
	d.setString("EndTime", "00:00:00");
	d.setString("HeartBtInt", o.str("heartbeat", "30"));
	d.setString("ReconnectInterval", "1");
	d.setString("ValidateLengthAndChecksum", "Y");
	d.setString("CheckLatency", "Y");
	d.setString("MaxLatency", "120");
	d.setString("SSLProtocol", "+TLSv1_2");
	d.setString(server ? "ServerCertificateFile" : "ClientCertificateFile", o.need("cert"));
	d.setString(server ? "ServerCertificateKeyFile" : "ClientCertificateKeyFile", o.need("key"));
	d.setString("CertificationAuthoritiesFile", o.need("ca"));
	if (server)
		d.setString("CertificateVerifyLevel", "1"); /* require a client certificate */
	return d;
}

/* A session's data dictionary: --dict-4.2 / --dict-4.4 FILE; none: off. */
inline void set_dictionary(FIX::Dictionary &d, const Opts &o, const std::string &begin)
{
	std::string key = "dict-" + begin.substr(4);

	if (o.has(key)) {
		d.setString("UseDataDictionary", "Y");
		d.setString("DataDictionary", o.str(key));
		d.setString("ValidateFieldsOutOfOrder", "Y");
		d.setString("ValidateFieldsHaveValues", "Y");
		d.setString("ValidateUserDefinedFields", "Y");
	} else {
		d.setString("UseDataDictionary", "N");
	}
}

/* Prints n distinct free TCP ports on 127.0.0.1 (bound to port 0 and held
 * until all are known) and returns 0. */
inline int print_free_ports(int n)
{
	std::vector<int> fds;

	for (int i = 0; i < n; i++) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		std::memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || bind(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)) < 0 ||
		    getsockname(fd, reinterpret_cast<struct sockaddr *>(&a), &al) < 0) {
			std::perror("free port");
			return 99;
		}
		std::printf("%d\n", ntohs(a.sin_port));
		fds.push_back(fd);
	}
	for (int fd : fds)
		close(fd);
	return 0;
}

} // namespace qf

#endif
