/*
 * qf_venue.cpp - QuickFIX as the venue behind riskgwd: a FIX 4.4 / 4.2
 * acceptor over TLS (QuickFIX's own SSLSocketAcceptor, client certificate
 * required). It acks every NewOrderSingle and fills half of it (so that a
 * cancel or replace still finds it working), answers cancels and replaces,
 * and records every message it accepted, one line each, to --record:
 *
 *   msg BEGIN SENDER MSGSEQNUM MSGTYPE CLORDID ORIGCLORDID TAG583 TAG5001 ORDERQTY RESET
 *
 * ('-' for an absent field; RESET is ResetSeqNumFlag, 141), so that the test
 * can assert which orders reached it (never the breaching one), which tags
 * riskgwd stripped, and that the sequence numbers it saw from riskgwd have
 * no gap. Runs until
 * SIGTERM or SIGINT, then prints a summary and exits 0, or 1 if its
 * session layer found a problem.
 *
 *   qf_venue --port P --comp-id VENUE --sessions FIX.4.4:RISKGW1,FIX.4.2:RISKGW2
 *            --cert C --key K --ca CA --record FILE --log FILE
 *            [--dict-4.4 FILE] [--dict-4.2 FILE]
 */
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/MessageStore.h>
#include <quickfix/SSLSocketAcceptor.h>
#include <quickfix/Session.h>

#include "qf_common.h"

namespace {

struct Order {
	std::string orderid, symbol, side, px;
	long qty = 0, cum = 0;
};

class Venue : public FIX::Application {
public:
	explicit Venue(std::FILE *rec) : rec_(rec) {}

	int problems = 0, orders = 0, cancels = 0, replaces = 0, cxl_rejects = 0;
	std::vector<std::string> notes;
	std::mutex mu;

	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &s) override
	{
		std::printf("venue: %s logged on\n", s.toString().c_str());
		std::fflush(stdout);
	}
	void onLogout(const FIX::SessionID &s) override
	{
		std::printf("venue: %s logged out\n", s.toString().c_str());
		std::fflush(stdout);
	}
	void toAdmin(FIX::Message &m, const FIX::SessionID &) override
	{
		std::string t = qf::get(m.getHeader(), 35);

		if (t == "3" || t == "2" || t == "4")
			problem("QuickFIX sent " + qf::bars(m.toString()));
	}
	void toApp(FIX::Message &, const FIX::SessionID &) noexcept override {}
	void fromAdmin(const FIX::Message &m, const FIX::SessionID &) noexcept override
	{
		std::string t = qf::get(m.getHeader(), 35);

		record(m);
		if (t == "3" || t == "2" || t == "4")
			problem("riskgwd sent " + qf::bars(m.toString()));
	}
	void fromApp(const FIX::Message &m, const FIX::SessionID &s) noexcept override
	{
		std::string t = qf::get(m.getHeader(), 35);

		record(m);
		try {
			if (t == "D")
				on_new(m, s);
			else if (t == "F")
				on_cancel(m, s);
			else if (t == "G")
				on_replace(m, s);
			else
				problem("unexpected message type " + t + ": " + qf::bars(m.toString()));
		} catch (std::exception &e) {
			problem(std::string("cannot answer: ") + e.what() + ": " + qf::bars(m.toString()));
		}
	}

private:
	std::FILE *rec_;
	std::map<std::string, Order> book_; /* by BeginString|Sender|ClOrdID */
	long ids_ = 0;

	void problem(const std::string &what)
	{
		std::lock_guard<std::mutex> g(mu);
		problems++;
		notes.push_back(what);
	}
	static std::string dash(const std::string &s) { return s.empty() ? "-" : s; }
	void record(const FIX::Message &m)
	{
		const FIX::Header &h = m.getHeader();
		std::lock_guard<std::mutex> g(mu);

		std::fprintf(rec_, "msg %s %s %s %s %s %s %s %s %s %s\n", qf::get(h, 8).c_str(),
		    qf::get(h, 49).c_str(), qf::get(h, 34).c_str(), qf::get(h, 35).c_str(),
		    dash(qf::get(m, 11)).c_str(), dash(qf::get(m, 41)).c_str(),
		    dash(qf::get(m, 583)).c_str(), dash(qf::get(m, 5001)).c_str(),
		    dash(qf::get(m, 38)).c_str(), dash(qf::get(m, 141)).c_str());
		std::fflush(rec_);
	}
	static std::string key(const FIX::SessionID &s, const std::string &clid)
	{
		return s.toString() + "|" + clid;
	}
	std::string next_id(const char *p) { return p + std::to_string(++ids_); }

	/* An ExecutionReport with the fields FIX 4.2 and 4.4 both require. */
	void report(const FIX::SessionID &s, const Order &o, const std::string &clid,
	    const std::string &orig, char exectype, char status, long last)
	{
		bool v42 = s.getBeginString().getValue() == "FIX.4.2";
		FIX::Message m;

		m.getHeader().setField(35, "8");
		m.setField(37, o.orderid);
		m.setField(11, clid);
		if (!orig.empty())
			m.setField(41, orig);
		m.setField(17, next_id("E"));
		if (v42)
			m.setField(20, "0"); /* ExecTransType New */
		m.setField(150, std::string(1, exectype));
		m.setField(39, std::string(1, status));
		m.setField(55, o.symbol);
		m.setField(54, o.side);
		m.setField(38, std::to_string(o.qty));
		m.setField(40, "2");
		m.setField(44, o.px);
		if (last > 0) {
			m.setField(32, std::to_string(last));
			m.setField(31, o.px);
		}
		m.setField(151, std::to_string(status == '4' ? 0 : o.qty - o.cum));
		m.setField(14, std::to_string(o.cum));
		m.setField(6, o.cum > 0 ? o.px : "0");
		m.setField(FIX::UtcTimeStampField(60, FIX::UtcTimeStamp(), 3));
		FIX::Session::sendToTarget(m, s);
	}
	void cancel_reject(const FIX::SessionID &s, const FIX::Message &in, char to)
	{
		FIX::Message m;

		m.getHeader().setField(35, "9");
		m.setField(37, "NONE");
		m.setField(11, qf::get(in, 11));
		m.setField(41, qf::get(in, 41));
		m.setField(39, "8");
		m.setField(434, std::string(1, to));
		m.setField(102, "1"); /* unknown order */
		m.setField(58, "venue: unknown order");
		FIX::Session::sendToTarget(m, s);
		std::lock_guard<std::mutex> g(mu);
		cxl_rejects++;
	}
	void on_new(const FIX::Message &m, const FIX::SessionID &s)
	{
		bool v42 = s.getBeginString().getValue() == "FIX.4.2";
		Order o;
		std::string clid = qf::get(m, 11);

		o.orderid = next_id("V");
		o.symbol = qf::get(m, 55);
		o.side = qf::get(m, 54);
		o.px = m.isSetField(44) ? qf::get(m, 44) : "0";
		o.qty = std::stol(qf::get(m, 38));
		report(s, o, clid, "", '0', '0', 0);
		long fill = o.qty / 2 > 0 ? o.qty / 2 : o.qty;
		o.cum = fill;
		report(s, o, clid, "", v42 ? (fill == o.qty ? '2' : '1') : 'F',
		    fill == o.qty ? '2' : '1', fill);
		book_[key(s, clid)] = o;
		std::lock_guard<std::mutex> g(mu);
		orders++;
	}
	void on_cancel(const FIX::Message &m, const FIX::SessionID &s)
	{
		auto it = book_.find(key(s, qf::get(m, 41)));

		if (it == book_.end()) {
			cancel_reject(s, m, '1');
			return;
		}
		report(s, it->second, qf::get(m, 11), qf::get(m, 41), '4', '4', 0);
		book_.erase(it);
		std::lock_guard<std::mutex> g(mu);
		cancels++;
	}
	void on_replace(const FIX::Message &m, const FIX::SessionID &s)
	{
		bool v42 = s.getBeginString().getValue() == "FIX.4.2";
		auto it = book_.find(key(s, qf::get(m, 41)));

		if (it == book_.end()) {
			cancel_reject(s, m, '2');
			return;
		}
		Order o = it->second;
		book_.erase(it);
		o.qty = std::stol(qf::get(m, 38));
		if (m.isSetField(44))
			o.px = qf::get(m, 44);
		/* 4.2: OrdStatus 5 Replaced; 4.4: the order's own status */
		report(s, o, qf::get(m, 11), qf::get(m, 41), '5', v42 ? '5' : (o.cum > 0 ? '1' : '0'),
		    0);
		book_[key(s, qf::get(m, 11))] = o;
		std::lock_guard<std::mutex> g(mu);
		replaces++;
	}
};

} // namespace

int main(int argc, char **argv)
{
	qf::Opts o(argc, argv);

	if (o.has("free-ports"))
		return qf::print_free_ports(o.num("free-ports", 1));

	std::FILE *rec = std::fopen(o.need("record").c_str(), "w");
	if (rec == nullptr) {
		std::perror(o.need("record").c_str());
		return 99;
	}
	Venue app(rec);
	FIX::SessionSettings settings;
	FIX::Dictionary defaults = qf::tls_defaults(o, true);

	defaults.setString("SocketAcceptPort", o.need("port"));
	defaults.setString("SocketReuseAddress", "Y");
	settings.set(defaults);
	std::stringstream ss(o.need("sessions"));
	std::string item;
	while (std::getline(ss, item, ',')) {
		size_t colon = item.rfind(':');
		if (colon == std::string::npos) {
			std::fprintf(stderr, "qf_venue: --sessions: '%s' is not BEGIN:TARGET\n", item.c_str());
			return 2;
		}
		std::string begin = qf::begin_string(item.substr(0, colon));
		FIX::Dictionary d;

		qf::set_dictionary(d, o, begin);
		settings.set(FIX::SessionID(begin, o.need("comp-id"), item.substr(colon + 1)), d);
	}

	/* SIGTERM/SIGINT are taken by sigwait() here, not by QuickFIX's threads */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);

	FIX::MemoryStoreFactory store;
	qf::RecLogFactory log(o.need("log"));
	FIX::SSLSocketAcceptor acceptor(app, store, settings, log);
	try {
		acceptor.start();
	} catch (std::exception &e) {
		std::fprintf(stderr, "qf_venue: cannot start: %s\n", e.what());
		return 99;
	}
	std::printf("venue: listening on port %s\n", o.need("port").c_str());
	std::fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	acceptor.stop();

	std::lock_guard<std::mutex> g(app.mu);
	int problems = app.problems + log.problems();
	for (const auto &n : app.notes)
		std::printf("venue: note: %s\n", n.c_str());
	std::printf("venue: orders %d cancels %d replaces %d cancel-rejects %d problems %d\n",
	    app.orders, app.cancels, app.replaces, app.cxl_rejects, problems);
	std::fclose(rec);
	return problems == 0 ? 0 : 1;
}
