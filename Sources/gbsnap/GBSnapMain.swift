import GBSnapCLI

@main
enum GBSnapMain {
    static func main() async {
        await GBSnapCommand.main()
    }
}
